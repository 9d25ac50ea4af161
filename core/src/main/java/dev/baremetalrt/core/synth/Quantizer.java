package dev.baremetalrt.core.synth;

import dev.baremetalrt.spi.WeightType;
import java.nio.ByteBuffer;

/**
 * Encodes float rows as GGUF weight types with ggml's reference algorithms ({@code quantize_row_q8_0_ref},
 * {@code quantize_row_q4_0_ref}) and the K-quant layouts of {@link KQuantizer}. Writes little-endian into the buffer's current position.
 */
public final class Quantizer {
    private Quantizer() {}

    /** Encodes {@code n} values from {@code x[offset..]}; {@code n} must be a multiple of the block size. */
    public static void encode(WeightType type, float[] x, int offset, int n, ByteBuffer out) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out.putFloat(x[offset + i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out.putShort(Float.floatToFloat16(x[offset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    int bits = Float.floatToRawIntBits(x[offset + i]);
                    out.putShort((short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n; b += 32) {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) {
                        amax = Math.max(amax, Math.abs(x[offset + b + j]));
                    }
                    float d = amax / 127f;
                    float id = d != 0 ? 1f / d : 0f;
                    out.putShort(Float.floatToFloat16(d));
                    for (int j = 0; j < 32; j++) {
                        out.put((byte) roundHalfAway(x[offset + b + j] * id));
                    }
                }
            }
            case Q4_K -> KQuantizer.encodeQ4OrQ5(x, offset, n, 4, out);
            case Q5_K -> KQuantizer.encodeQ4OrQ5(x, offset, n, 5, out);
            case Q6_K -> KQuantizer.encodeQ6(x, offset, n, out);
            case Q8_K -> KQuantizer.encodeQ8(x, offset, n, out);
            case Q4_0 -> {
                for (int b = 0; b < n; b += 32) {
                    float amax = 0;
                    float max = 0;
                    for (int j = 0; j < 32; j++) {
                        float v = x[offset + b + j];
                        if (amax < Math.abs(v)) {
                            amax = Math.abs(v);
                            max = v;
                        }
                    }
                    float d = max / -8f;
                    float id = d != 0 ? 1f / d : 0f;
                    out.putShort(Float.floatToFloat16(d));
                    for (int j = 0; j < 16; j++) {
                        int lo = Math.min(15, (int) (x[offset + b + j] * id + 8.5f));
                        int hi = Math.min(15, (int) (x[offset + b + 16 + j] * id + 8.5f));
                        out.put((byte) (lo | (hi << 4)));
                    }
                }
            }
        }
    }

    /** C's {@code roundf}: halves away from zero. */
    static int roundHalfAway(float v) {
        return (int) (v < 0 ? -Math.floor(-v + 0.5f) : Math.floor(v + 0.5f));
    }
}
