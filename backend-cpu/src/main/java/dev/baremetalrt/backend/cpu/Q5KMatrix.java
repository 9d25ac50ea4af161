package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;

/**
 * Q5_K: {f16 d; f16 dmin; 12 bytes of scales/mins; qh[32]; qs[128]}: {@link Q4KMatrix}'s layout plus a
 * fifth bit per value, bit {@code 2c} (low half) or {@code 2c+1} (high half) of {@code qh[l]}.
 */
final class Q5KMatrix extends KQuantWithMinsMatrix {
    Q5KMatrix(WeightTensor t) {
        super(t);
    }

    @Override
    float vectorDot(long off, float[] x, int xOff, float[] sums) {
        return KQuantKernels.dotQ5K(this, off, x, xOff, cols, sums);
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
                int q = u8(off + 48 + 32 * c + l);
                int h = u8(off + 16 + l);
                out[o + 64 * c + l] = d1 * ((q & 0xF) | ((h >>> (2 * c)) & 1) << 4) - m1;
                out[o + 64 * c + 32 + l] = d2 * ((q >>> 4) | ((h >>> (2 * c + 1)) & 1) << 4) - m2;
            }
        }
    }

    @Override
    void dequantizeRow(int row, float[] out, int outOff) {
        if (Simd.ENABLED) {
            KQuantKernels.widenQ5K(data, row * rowBytes, out, outOff, cols);
        } else {
            super.dequantizeRow(row, out, outOff);
        }
    }
}
