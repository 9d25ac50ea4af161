package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;

/** Q8_0 weights: blocks of 32 as {f16 scale; 32 signed bytes}, value = scale * byte. */
final class Q8Matrix extends WeightMatrix {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 34;

    Q8Matrix(WeightTensor t) {
        super(t);
    }

    @Override
    float dot(int row, float[] x, int xOff) {
        long off = row * rowBytes;
        if (Simd.ENABLED) {
            return VectorKernels.dotQ8(data, off, x, xOff, cols);
        }
        float sum = 0;
        for (int b = 0; b < cols; b += BLOCK, off += BLOCK_BYTES) {
            float block = 0;
            for (int j = 0; j < BLOCK; j++) {
                block += data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 2 + j) * x[xOff + b + j];
            }
            sum += block * f16(data, off);
        }
        return sum;
    }

    @Override
    void dot4(int row, float[] x, int xOff, int stride, float[] out) {
        if (Simd.ENABLED) {
            VectorKernels.dot4Q8(data, row * rowBytes, x, xOff, stride, cols, out);
        } else {
            super.dot4(row, x, xOff, stride, out);
        }
    }

    @Override
    void dequantizeRow(int row, float[] out, int outOff) {
        long off = row * rowBytes;
        if (Simd.ENABLED) {
            VectorKernels.widenQ8(data, off, out, outOff, cols);
            return;
        }
        for (int b = 0; b < cols; b += BLOCK, off += BLOCK_BYTES) {
            float d = f16(data, off);
            for (int j = 0; j < BLOCK; j++) {
                out[outOff + b + j] = d * data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 2 + j);
            }
        }
    }
}
