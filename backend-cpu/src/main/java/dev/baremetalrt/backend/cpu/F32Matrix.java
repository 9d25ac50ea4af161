package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;

/** F32 weights. */
final class F32Matrix extends WeightMatrix {
    F32Matrix(WeightTensor t) {
        super(t);
    }

    @Override
    float dot(int row, float[] x, int xOff) {
        long off = row * rowBytes;
        if (Simd.ENABLED) {
            return VectorKernels.dotF32(data, off, x, xOff, cols);
        }
        float sum = 0;
        for (int i = 0; i < cols; i++) {
            sum += data.get(F32_LE, off + 4L * i) * x[xOff + i];
        }
        return sum;
    }

    @Override
    void dot4(int row, float[] x, int xOff, int stride, float[] out) {
        if (Simd.ENABLED) {
            VectorKernels.dot4F32(data, row * rowBytes, x, xOff, stride, cols, out);
        } else {
            super.dot4(row, x, xOff, stride, out);
        }
    }

    @Override
    void dequantizeRow(int row, float[] out, int outOff) {
        long off = row * rowBytes;
        for (int i = 0; i < cols; i++) {
            out[outOff + i] = data.get(F32_LE, off + 4L * i);
        }
    }
}
