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
        }
        return out;
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
