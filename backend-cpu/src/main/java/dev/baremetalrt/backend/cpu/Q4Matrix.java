package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;
import java.lang.foreign.ValueLayout;

/**
 * Q4_0 weights: blocks of 32 as {f16 scale; 16 bytes}; byte j holds element j in its low nibble and
 * element j+16 in its high nibble, each stored with an offset of 8.
 */
final class Q4Matrix extends WeightMatrix {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 18;

    Q4Matrix(WeightTensor t) {
        super(t);
    }

    @Override
    float dot(int row, float[] x, int xOff) {
        long off = row * rowBytes;
        if (Simd.ENABLED) {
            return VectorKernels.dotQ4(data, off, x, xOff, cols);
        }
        float sum = 0;
        for (int b = 0; b < cols; b += BLOCK, off += BLOCK_BYTES) {
            float block = 0;
            for (int j = 0; j < 16; j++) {
                int q = data.get(ValueLayout.JAVA_BYTE, off + 2 + j) & 0xFF;
                block += ((q & 0x0F) - 8) * x[xOff + b + j] + ((q >>> 4) - 8) * x[xOff + b + 16 + j];
            }
            sum += block * f16(data, off);
        }
        return sum;
    }

    @Override
    void dot4(int row, float[] x, int xOff, int stride, float[] out) {
        if (Simd.ENABLED) {
            VectorKernels.dot4Q4(data, row * rowBytes, x, xOff, stride, cols, out);
        } else {
            super.dot4(row, x, xOff, stride, out);
        }
    }

    @Override
    void dequantizeRow(int row, float[] out, int outOff) {
        long off = row * rowBytes;
        if (Simd.ENABLED) {
            VectorKernels.widenQ4(data, off, out, outOff, cols);
            return;
        }
        for (int b = 0; b < cols; b += BLOCK, off += BLOCK_BYTES) {
            float d = f16(data, off);
            for (int j = 0; j < 16; j++) {
                int q = data.get(ValueLayout.JAVA_BYTE, off + 2 + j) & 0xFF;
                out[outOff + b + j] = d * ((q & 0x0F) - 8);
                out[outOff + b + 16 + j] = d * ((q >>> 4) - 8);
            }
        }
    }
}
