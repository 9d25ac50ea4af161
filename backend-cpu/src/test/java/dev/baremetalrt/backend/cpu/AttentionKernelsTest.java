package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One query head's attention as the layer runs it ({@link Ops#attentionScores}, {@link Ops#attentionValues}: the
 * vector kernels when the Vector API is on) against double precision. Head sizes of whole vectors, an odd vector,
 * a masked part of one and a scalar tail; position counts below, at and past the four-position unrolling. The
 * cache rows hold three KV heads and the kernels read the second, so a read outside its columns shows.
 */
class AttentionKernelsTest {
    private static final float UNTOUCHED = 42f;

    @ParameterizedTest
    @CsvSource({"64, 1", "64, 3", "64, 4", "64, 7", "64, 130", "128, 17", "48, 9", "40, 6", "8, 11", "4, 2", "70, 33"})
    void scoresMatchDoublePrecision(int headDim, int len) {
        SplittableRandom rnd = new SplittableRandom(17L * headDim + len);
        int kvDim = headDim * 3;
        int kOff = headDim;
        float[] keys = random(rnd, len * kvDim);
        int qOff = 3;
        float[] q = random(rnd, qOff + headDim + 3);
        float scale = 0.125f;
        float[] score = new float[len + 4];
        Arrays.fill(score, UNTOUCHED);
        Ops.attentionScores(q, qOff, keys, kOff, kvDim, headDim, len, scale, score);
        for (int t = 0; t < len; t++) {
            double expected = 0;
            double magnitude = 0;
            for (int c = 0; c < headDim; c++) {
                double product = (double) q[qOff + c] * keys[t * kvDim + kOff + c];
                expected += product;
                magnitude += Math.abs(product);
            }
            assertEquals(expected * scale, score[t], (1e-6 * magnitude + 1e-7) * scale, "score of position %d of %d, head size %d".formatted(t, len, headDim));
        }
        assertUntouched(score, len, score.length, "past the positions");
    }

    @ParameterizedTest
    @CsvSource({"64, 1", "64, 3", "64, 4", "64, 5", "64, 130", "128, 17", "48, 9", "40, 6", "8, 11", "4, 2", "80, 33"})
    void weightedSumMatchesDoublePrecision(int headDim, int len) {
        SplittableRandom rnd = new SplittableRandom(31L * headDim + len);
        int kvDim = headDim * 3;
        int vOff = headDim;
        float[] values = random(rnd, len * kvDim);
        float[] p = random(rnd, len + 3); // past len too: reading those would run past the values
        int o = 5;
        float[] out = new float[o + headDim + 5];
        Arrays.fill(out, UNTOUCHED);
        Ops.attentionValues(p, len, values, vOff, kvDim, headDim, out, o);
        for (int d = 0; d < headDim; d++) {
            double expected = 0;
            double magnitude = 0;
            for (int t = 0; t < len; t++) {
                double product = (double) p[t] * values[t * kvDim + vOff + d];
                expected += product;
                magnitude += Math.abs(product);
            }
            assertEquals(expected, out[o + d], 1e-6 * magnitude + 1e-7, "element %d of a %d-wide head over %d positions".formatted(d, headDim, len));
        }
        assertUntouched(out, 0, o, "before the output");
        assertUntouched(out, o + headDim, out.length, "after the output");
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    private static void assertUntouched(float[] a, int from, int to, String where) {
        for (int i = from; i < to; i++) {
            assertEquals(UNTOUCHED, a[i], "element " + i + " " + where + " was written");
        }
    }
}
