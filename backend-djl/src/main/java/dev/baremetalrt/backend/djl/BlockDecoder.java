package dev.baremetalrt.backend.djl;

import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Widens BF16 and block-quantized weights (Q8_0, Q4_0 and the K-quants) to floats, whole blocks at a time,
 * at load: PyTorch has no kernels for ggml's block formats, so this backend runs them as F32 (see
 * {@link DjlBackend#capabilities()}). Layouts are ggml's ({@code block_q8_0}, {@code block_q4_0},
 * {@code block_q4_K}, {@code block_q5_K}, {@code block_q6_K}, {@code block_q8_K}). The conformance suite's
 * {@code ReferenceWeights} decodes the same formats on purpose separately: it is the yardstick this is checked against.
 */
final class BlockDecoder {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private BlockDecoder() {}

    /**
     * Decodes {@code out.length} elements starting at element {@code first} (both multiples of the block size).
     */
    static void decode(WeightTensor t, long first, float[] out) {
        WeightType type = t.type();
        int blockSize = type.blockSize();
        if (first % blockSize != 0 || out.length % blockSize != 0) {
            throw new IllegalArgumentException("%s: decoding must start and end on %s block boundaries".formatted(t.name(), type));
        }
        MemorySegment s = t.data();
        long firstBlock = first / blockSize;
        for (int b = 0; b < out.length / blockSize; b++) {
            long at = (firstBlock + b) * type.bytesPerBlock();
            int o = b * blockSize;
            switch (type) {
                case BF16 -> out[o] = Float.intBitsToFloat((s.get(I16, at) & 0xFFFF) << 16);
                case Q8_0 -> q8_0(s, at, out, o);
                case Q4_0 -> q4_0(s, at, out, o);
                case Q4_K -> q4K(s, at, out, o, false);
                case Q5_K -> q4K(s, at, out, o, true);
                case Q6_K -> q6K(s, at, out, o);
                case Q8_K -> q8K(s, at, out, o);
                default -> throw new IllegalArgumentException(type + " is not BF16 or a block-quantized type");
            }
        }
    }

    private static void q8_0(MemorySegment s, long at, float[] out, int o) {
        float d = Float.float16ToFloat(s.get(I16, at));
        for (int j = 0; j < 32; j++) {
            out[o + j] = d * s.get(ValueLayout.JAVA_BYTE, at + 2 + j);
        }
    }

    private static void q4_0(MemorySegment s, long at, float[] out, int o) {
        float d = Float.float16ToFloat(s.get(I16, at));
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 2 + j);
            out[o + j] = d * ((q & 0xF) - 8);
            out[o + 16 + j] = d * ((q >> 4) - 8);
        }
    }

    /** Q4_K, or Q5_K when {@code fifthBit}: eight sub-blocks of 32 with 6-bit scales and mins. */
    private static void q4K(MemorySegment s, long at, float[] out, int o, boolean fifthBit) {
        float d = Float.float16ToFloat(s.get(I16, at));
        float dmin = Float.float16ToFloat(s.get(I16, at + 2));
        long scales = at + 4;
        long qh = at + 16;
        long qs = at + (fifthBit ? 48 : 16);
        for (int sub = 0; sub < 8; sub++) {
            float scale = d * sixBitScale(s, scales, sub, false);
            float min = dmin * sixBitScale(s, scales, sub, true);
            int chunk = sub / 2;
            int shift = sub % 2 == 0 ? 0 : 4;
            for (int l = 0; l < 32; l++) {
                int q = (u8(s, qs + 32L * chunk + l) >> shift) & 0xF;
                if (fifthBit) {
                    q += ((u8(s, qh + l) >> sub) & 1) << 4;
                }
                out[o + sub * 32 + l] = scale * q - min;
            }
        }
    }

    private static void q6K(MemorySegment s, long at, float[] out, int o) {
        float d = Float.float16ToFloat(s.get(I16, at + 208));
        for (int e = 0; e < 256; e++) {
            int half = e / 128;
            int quarter = (e % 128) / 32;
            int l = e % 32;
            int low = (u8(s, at + 64L * half + (quarter % 2) * 32L + l) >> (quarter >= 2 ? 4 : 0)) & 0xF;
            int high = (u8(s, at + 128 + 32L * half + l) >> (2 * quarter)) & 3;
            int scale = s.get(ValueLayout.JAVA_BYTE, at + 192 + e / 16);
            out[o + e] = d * scale * ((low | high << 4) - 32);
        }
    }

    private static void q8K(MemorySegment s, long at, float[] out, int o) {
        float d = s.get(F32, at);
        for (int e = 0; e < 256; e++) {
            out[o + e] = d * s.get(ValueLayout.JAVA_BYTE, at + 4 + e);
        }
    }

    /** ggml's {@code get_scale_min_k4}: the 6-bit scale (or min) of sub-block {@code j} from 12 packed bytes. */
    private static int sixBitScale(MemorySegment s, long at, int j, boolean min) {
        if (j < 4) {
            return u8(s, at + j + (min ? 4 : 0)) & 63;
        }
        int packed = u8(s, at + j + 4);
        int top = u8(s, at + j - (min ? 0 : 4)) >> 6;
        return (min ? packed >> 4 : packed & 0xF) | top << 4;
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }
}
