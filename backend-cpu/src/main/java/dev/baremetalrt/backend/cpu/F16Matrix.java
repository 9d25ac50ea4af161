package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;

/**
 * F16 weights. The Vector API has no half-precision lane conversion, so a row is widened into a
 * per-thread buffer with the (intrinsic) scalar conversion, then multiplied with the vector kernel.
 */
final class F16Matrix extends WeightMatrix {
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    F16Matrix(WeightTensor t) {
        super(t);
    }

    private float[] widen(int row) {
        float[] buf = ROW.get();
        if (buf.length < cols) {
            buf = new float[cols];
            ROW.set(buf);
        }
        dequantizeRow(row, buf, 0);
        return buf;
    }

    @Override
    float dot(int row, float[] x, int xOff) {
        if (Simd.ENABLED) {
            return VectorKernels.dotArrays(widen(row), x, xOff, cols);
        }
        long off = row * rowBytes;
        float sum = 0;
        for (int i = 0; i < cols; i++) {
            sum += f16(data, off + 2L * i) * x[xOff + i];
        }
        return sum;
    }

    @Override
    void dot4(int row, float[] x, int xOff, int stride, float[] out) {
        if (!Simd.ENABLED) {
            super.dot4(row, x, xOff, stride, out);
            return;
        }
        float[] w = widen(row);
        for (int k = 0; k < 4; k++) {
            out[k] = VectorKernels.dotArrays(w, x, xOff + k * stride, cols);
        }
    }

    @Override
    void dequantizeRow(int row, float[] out, int outOff) {
        long off = row * rowBytes;
        for (int i = 0; i < cols; i++) {
            out[outOff + i] = f16(data, off + 2L * i);
        }
    }
}
