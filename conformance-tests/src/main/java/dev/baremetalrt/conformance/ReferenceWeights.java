package dev.baremetalrt.conformance;

import dev.baremetalrt.spi.WeightSource;
import dev.baremetalrt.spi.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Decodes stored weights to doubles, written independently of every backend from the format
 * definitions, one element at a time. Slow on purpose: it is the yardstick.
 */
public final class ReferenceWeights {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ReferenceWeights() {}

    /** All elements of a tensor, row-major ({@code rows x columns}). */
    public static double[] decode(WeightTensor t) {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + t.name() + " is too large for the reference");
        }
        double[] out = new double[(int) n];
        MemorySegment s = t.data();
        switch (t.type()) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = s.get(F32, 4L * i);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = halfToDouble(s.get(I16, 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((s.get(I16, 2L * i) & 0xFFFF) << 16);
                }
            }
            case Q8_0 -> {
                for (int block = 0; block < n / 32; block++) {
                    long at = block * 34L;
                    double d = halfToDouble(s.get(I16, at));
                    for (int j = 0; j < 32; j++) {
                        out[block * 32 + j] = d * s.get(ValueLayout.JAVA_BYTE, at + 2 + j);
                    }
                }
            }
            case Q4_0 -> {
                for (int block = 0; block < n / 32; block++) {
                    long at = block * 18L;
                    double d = halfToDouble(s.get(I16, at));
                    for (int j = 0; j < 16; j++) {
                        int q = s.get(ValueLayout.JAVA_BYTE, at + 2 + j) & 0xFF;
                        out[block * 32 + j] = d * ((q & 0xF) - 8);
                        out[block * 32 + 16 + j] = d * ((q >> 4) - 8);
                    }
                }
            }
            case Q4_K, Q5_K, Q6_K, Q8_K -> {
                for (int i = 0; i < n; i++) {
                    out[i] = kQuantElement(t.type(), s, i);
                }
            }
        }
        return out;
    }

    /**
     * Element {@code i} of a K-quant tensor, computed on its own from ggml's block definitions
     * ({@code block_q4_K}, {@code block_q5_K}, {@code block_q6_K}, {@code block_q8_K}; super-blocks of 256).
     */
    static double kQuantElement(dev.baremetalrt.spi.WeightType type, MemorySegment s, long i) {
        long block = (i / 256) * type.bytesPerBlock();
        int e = (int) (i % 256);
        return switch (type) {
            case Q4_K, Q5_K -> {
                double d = halfToDouble(s.get(I16, block));
                double dmin = halfToDouble(s.get(I16, block + 2));
                int sub = e / 32;
                int chunk = e / 64;
                boolean high = e % 64 >= 32;
                int l = e % 32;
                long qs = block + (type == dev.baremetalrt.spi.WeightType.Q4_K ? 16 : 48);
                int q = (u8(s, qs + 32L * chunk + l) >> (high ? 4 : 0)) & 0xF;
                if (type == dev.baremetalrt.spi.WeightType.Q5_K) {
                    int bit = 2 * chunk + (high ? 1 : 0);
                    q += ((u8(s, block + 16 + l) >> bit) & 1) * 16;
                }
                yield d * sixBitScale(s, block + 4, sub, false) * q - dmin * sixBitScale(s, block + 4, sub, true);
            }
            case Q6_K -> {
                int half = e / 128;
                int quarter = (e % 128) / 32;
                int l = e % 32;
                int low = (u8(s, block + 64L * half + (quarter % 2) * 32L + l) >> (quarter >= 2 ? 4 : 0)) & 0xF;
                int high = (u8(s, block + 128 + 32L * half + l) >> (2 * quarter)) & 3;
                int scale = s.get(ValueLayout.JAVA_BYTE, block + 192 + e / 16);
                yield halfToDouble(s.get(I16, block + 208)) * scale * ((low | high << 4) - 32);
            }
            case Q8_K -> s.get(F32, block) * (double) s.get(ValueLayout.JAVA_BYTE, block + 4 + e);
            default -> throw new IllegalArgumentException(type + " is not a K-quant");
        };
    }

    /** ggml's {@code get_scale_min_k4}: the 6-bit scale (or min) of sub-block {@code j} of 8 from 12 packed bytes. */
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

    /** IEEE 754 binary16 to double, decoded from the bit fields. */
    static double halfToDouble(short bits) {
        int sign = (bits >> 15) & 1;
        int exponent = (bits >> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        double value;
        if (exponent == 0) {
            value = mantissa * Math.pow(2, -24);
        } else if (exponent == 31) {
            value = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            value = (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
        }
        return sign == 1 ? -value : value;
    }

    static double[] decode(WeightSource source, String name) {
        return decode(source.requireTensor(name));
    }
}
