package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;

/**
 * Q4_K: {f16 d; f16 dmin; 12 bytes of 6-bit scales/mins; 128 bytes of nibbles}. Each 64 values share 32
 * bytes: low nibbles are the first 32 (sub-block 2c), high nibbles the next 32 (sub-block 2c+1).
 * Value = d*scale*q - dmin*min.
 */
final class Q4KMatrix extends KQuantWithMinsMatrix {
    Q4KMatrix(WeightTensor t) {
        super(t);
    }

    @Override
    float vectorDot(long off, float[] x, int xOff, float[] sums) {
        return KQuantKernels.dotQ4K(this, off, x, xOff, cols, sums);
    }

    @Override
    void dequantizeBlock(long off, float[] out, int o) {
        float d = f16(data, off);
        float dmin = f16(data, off + 2);
        long p0 = packed0(off + 4);
        int p8 = packed8(off + 4);
        for (int c = 0; c < 4; c++) {
            float d1 = d * scale(p0, p8, 2 * c);
            float m1 = dmin * min(p0, p8, 2 * c);
            float d2 = d * scale(p0, p8, 2 * c + 1);
            float m2 = dmin * min(p0, p8, 2 * c + 1);
            for (int l = 0; l < 32; l++) {
                int q = u8(off + 16 + 32 * c + l);
                out[o + 64 * c + l] = d1 * (q & 0xF) - m1;
                out[o + 64 * c + 32 + l] = d2 * (q >>> 4) - m2;
            }
        }
    }

    @Override
    void dequantizeRow(int row, float[] out, int outOff) {
        if (Simd.ENABLED) {
            KQuantKernels.widenQ4K(data, row * rowBytes, out, outOff, cols);
        } else {
            super.dequantizeRow(row, out, outOff);
        }
    }
}
