package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;

/**
 * Q6_K: {ql[128]; qh[64]; int8 scales[16]; f16 d}. Each half of 128 values uses 64 bytes of ql, 32 of qh
 * and 8 scales: for l in 0..31, values l, l+32, l+64, l+96 take the low nibble of ql[l], of ql[l+32], the
 * high nibble of ql[l], of ql[l+32], and bits 0-1, 2-3, 4-5, 6-7 of qh[l]; value = d*scale*(q - 32).
 */
final class Q6KMatrix extends KQuantMatrix {
    Q6KMatrix(WeightTensor t) {
        super(t);
    }

    @Override
    float dot(int row, float[] x, int xOff) {
        return Simd.ENABLED ? KQuantKernels.dotQ6K(this, row * rowBytes, x, xOff, cols) : super.dot(row, x, xOff);
    }

    @Override
    void dequantizeBlock(long off, float[] out, int o) {
        float d = f16(data, off + 208);
        for (int h = 0; h < 2; h++) {
            long ql = off + 64L * h;
            long qh = off + 128 + 32L * h;
            long sc = off + 192 + 8L * h;
            int base = o + 128 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int a = u8(ql + l);
                int b = u8(ql + 32 + l);
                int hb = u8(qh + l);
                out[base + l] = d * data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is) * (((a & 0xF) | (hb & 3) << 4) - 32);
                out[base + 32 + l] = d * data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 2) * (((b & 0xF) | ((hb >>> 2) & 3) << 4) - 32);
                out[base + 64 + l] = d * data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 4) * (((a >>> 4) | ((hb >>> 4) & 3) << 4) - 32);
                out[base + 96 + l] = d * data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 6) * (((b >>> 4) | ((hb >>> 6) & 3) << 4) - 32);
            }
        }
    }

    @Override
    void dequantizeRow(int row, float[] out, int outOff) {
        if (Simd.ENABLED) {
            KQuantKernels.widenQ6K(data, row * rowBytes, out, outOff, cols);
        } else {
            super.dequantizeRow(row, out, outOff);
        }
    }
}
