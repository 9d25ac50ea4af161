package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The attention-weighted sum of one head's values ({@link Ops#attentionValues}, the vector kernel when the
 * Vector API is on) against double precision: head sizes that are whole pairs of vectors, an odd vector and a
 * masked part of one; position counts below, at and past the four-position unrolling.
 */
class AttentionValuesTest {
    @ParameterizedTest
    @CsvSource({"64, 1", "64, 3", "64, 4", "64, 5", "64, 130", "128, 17", "48, 9", "40, 6", "8, 11", "4, 2", "80, 33"})
    void weightedSumMatchesDoublePrecision(int headDim, int len) {
        SplittableRandom rnd = new SplittableRandom(31L * headDim + len);
        int kvDim = headDim * 3;
        int vOff = headDim; // the second of three KV heads: the kernel must stay within its own columns
        float[] values = new float[len * kvDim];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        float[] p = new float[len + 3];
        for (int t = 0; t < p.length; t++) {
            p[t] = (float) rnd.nextDouble(); // past len too: those must not be read
        }
        int o = 5;
        float[] out = new float[o + headDim + 5];
        java.util.Arrays.fill(out, 42f);
        Ops.attentionValues(p, len, values, vOff, kvDim, headDim, out, o);
        for (int d = 0; d < headDim; d++) {
            double expected = 0;
            double magnitude = 0;
            for (int t = 0; t < len; t++) {
                expected += (double) p[t] * values[t * kvDim + vOff + d];
                magnitude += Math.abs((double) p[t] * values[t * kvDim + vOff + d]);
            }
            assertEquals(expected, out[o + d], 1e-6 * magnitude + 1e-7, "element %d of a %d-wide head over %d positions".formatted(d, headDim, len));
        }
        for (int i = 0; i < o; i++) {
            assertEquals(42f, out[i], "element " + i + " before the output was written");
        }
        for (int i = o + headDim; i < out.length; i++) {
            assertEquals(42f, out[i], "element " + i + " after the output was written");
        }
    }
}
