package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;

/** BF16 weights: the upper 16 bits of an F32. */
final class BF16Matrix extends WeightMatrix {
    BF16Matrix(WeightTensor t) {
        super(t);
    }

    private float at(long off, int i) {
        return Float.intBitsToFloat((data.get(I16_LE, off + 2L * i) & 0xFFFF) << 16);
    }

    @Override
    float dot(int row, float[] x, int xOff) {
        long off = row * rowBytes;
        if (Simd.ENABLED) {
            return VectorKernels.dotBF16(data, off, x, xOff, cols);
        }
        float sum = 0;
        for (int i = 0; i < cols; i++) {
            sum += at(off, i) * x[xOff + i];
        }
        return sum;
    }

    @Override
    void dequantizeRow(int row, float[] out, int outOff) {
        long off = row * rowBytes;
        for (int i = 0; i < cols; i++) {
            out[outOff + i] = at(off, i);
        }
    }
}
