package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;
import java.lang.foreign.ValueLayout;

/** Q8_K: {f32 d; 256 signed bytes; 16 int16 block sums, not needed here}; value = d*q. */
final class Q8KMatrix extends KQuantMatrix {
    Q8KMatrix(WeightTensor t) {
        super(t);
    }

    @Override
    float dot(int row, float[] x, int xOff) {
        return Simd.ENABLED ? KQuantKernels.dotQ8K(this, row * rowBytes, x, xOff, cols) : super.dot(row, x, xOff);
    }

    @Override
    void dequantizeBlock(long off, float[] out, int o) {
        float d = data.get(F32_LE, off);
        for (int j = 0; j < QK; j++) {
            out[o + j] = d * data.get(ValueLayout.JAVA_BYTE, off + 4 + j);
        }
    }
}
