package dev.baremetalrt.core.synth;

import java.nio.ByteBuffer;

/**
 * Encodes float rows as ggml's K-quant super-blocks of 256 (Q4_K, Q5_K, Q6_K, Q8_K). The byte layouts
 * are ggml's exactly; the choice of scales is a plain min/max (Q4_K, Q5_K) or absmax (Q6_K, Q8_K) fit per
 * sub-block rather than ggml's iterative error search, so files decode everywhere but are slightly less
 * accurate than llama.cpp's own quantizer would make them. That is enough for synthetic models.
 */
final class KQuantizer {
    static final int QK = 256;

    private KQuantizer() {}

    /** Q4_K ({@code bits} 4) or Q5_K ({@code bits} 5). */
    static void encodeQ4OrQ5(float[] x, int offset, int n, int bits, ByteBuffer out) {
        int levels = (1 << bits) - 1;
        for (int sb = 0; sb < n; sb += QK) {
            int base = offset + sb;
            float[] scale = new float[8];
            float[] min = new float[8];
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float lo = 0;
                float hi = 0;
                for (int l = 0; l < 32; l++) {
                    float v = x[base + 32 * j + l];
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                scale[j] = (hi - lo) / levels;
                min[j] = -lo;
                maxScale = Math.max(maxScale, scale[j]);
                maxMin = Math.max(maxMin, min[j]);
            }
            short dBits = Float.floatToFloat16(maxScale / 63);
            short dminBits = Float.floatToFloat16(maxMin / 63);
            float d = Float.float16ToFloat(dBits);
            float dmin = Float.float16ToFloat(dminBits);
            int[] ls = new int[8];
            int[] lm = new int[8];
            int[] q = new int[QK];
            for (int j = 0; j < 8; j++) {
                ls[j] = d > 0 ? Math.min(63, Math.round(scale[j] / d)) : 0;
                lm[j] = dmin > 0 ? Math.min(63, Math.round(min[j] / dmin)) : 0;
                float step = d * ls[j];
                float shift = dmin * lm[j];
                for (int l = 0; l < 32; l++) {
                    int i = 32 * j + l;
                    q[i] = step > 0 ? clamp(Math.round((x[base + i] + shift) / step), 0, levels) : 0;
                }
            }
            out.putShort(dBits);
            out.putShort(dminBits);
            out.put(packScalesAndMins(ls, lm));
            if (bits == 5) {
                byte[] qh = new byte[32];
                for (int c = 0; c < 4; c++) {
                    for (int l = 0; l < 32; l++) {
                        qh[l] |= (byte) (((q[64 * c + l] >> 4) & 1) << (2 * c));
                        qh[l] |= (byte) (((q[64 * c + 32 + l] >> 4) & 1) << (2 * c + 1));
                    }
                }
                out.put(qh);
            }
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    out.put((byte) ((q[64 * c + l] & 0xF) | (q[64 * c + 32 + l] & 0xF) << 4));
                }
            }
        }
    }

    /** The 12-byte 6-bit packing that ggml's {@code get_scale_min_k4} reads. */
    static byte[] packScalesAndMins(int[] ls, int[] lm) {
        byte[] s = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                s[j] |= (byte) ls[j];
                s[j + 4] |= (byte) lm[j];
            } else {
                s[j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                s[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                s[j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
        return s;
    }

    static void encodeQ6(float[] x, int offset, int n, ByteBuffer out) {
        for (int sb = 0; sb < n; sb += QK) {
            int base = offset + sb;
            float[] scale = new float[16];
            float maxScale = 0;
            for (int j = 0; j < 16; j++) {
                float amax = 0;
                for (int l = 0; l < 16; l++) {
                    amax = Math.max(amax, Math.abs(x[base + 16 * j + l]));
                }
                scale[j] = amax / 31;
                maxScale = Math.max(maxScale, scale[j]);
            }
            short dBits = Float.floatToFloat16(maxScale / 127);
            float d = Float.float16ToFloat(dBits);
            byte[] sc = new byte[16];
            int[] q = new int[QK];
            for (int j = 0; j < 16; j++) {
                int s = d > 0 ? Math.min(127, Math.round(scale[j] / d)) : 0;
                sc[j] = (byte) s;
                float step = d * s;
                for (int l = 0; l < 16; l++) {
                    int i = 16 * j + l;
                    q[i] = (step > 0 ? clamp(Math.round(x[base + i] / step), -32, 31) : 0) + 32;
                }
            }
            byte[] ql = new byte[128];
            byte[] qh = new byte[64];
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l++) {
                    int q1 = q[128 * h + l];
                    int q2 = q[128 * h + 32 + l];
                    int q3 = q[128 * h + 64 + l];
                    int q4 = q[128 * h + 96 + l];
                    ql[64 * h + l] = (byte) ((q1 & 0xF) | (q3 & 0xF) << 4);
                    ql[64 * h + 32 + l] = (byte) ((q2 & 0xF) | (q4 & 0xF) << 4);
                    qh[32 * h + l] = (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
                }
            }
            out.put(ql);
            out.put(qh);
            out.put(sc);
            out.putShort(dBits);
        }
    }

    static void encodeQ8(float[] x, int offset, int n, ByteBuffer out) {
        for (int sb = 0; sb < n; sb += QK) {
            int base = offset + sb;
            float amax = 0;
            for (int i = 0; i < QK; i++) {
                amax = Math.max(amax, Math.abs(x[base + i]));
            }
            float d = amax / 127;
            out.putFloat(d);
            int[] q = new int[QK];
            for (int i = 0; i < QK; i++) {
                q[i] = d > 0 ? clamp(Math.round(x[base + i] / d), -127, 127) : 0;
                out.put((byte) q[i]);
            }
            for (int j = 0; j < 16; j++) {
                int sum = 0;
                for (int l = 0; l < 16; l++) {
                    sum += q[16 * j + l];
                }
                out.putShort((short) sum);
            }
        }
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
