package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One query head's attention scores ({@link Ops#attentionScores}, the vector kernel when the Vector API is on)
 * against double precision: head sizes of whole vectors and with a scalar tail; position counts below, at and
 * past the four-position unrolling.
 */
class AttentionScoresTest {
    @ParameterizedTest
    @CsvSource({"64, 1", "64, 3", "64, 4", "64, 7", "64, 130", "128, 17", "48, 9", "40, 6", "8, 11", "4, 2", "70, 33"})
    void scoresMatchDoublePrecision(int headDim, int len) {
        SplittableRandom rnd = new SplittableRandom(17L * headDim + len);
        int kvDim = headDim * 3;
        int kOff = headDim; // the second of three KV heads: the kernel must stay within its own columns
        float[] keys = new float[len * kvDim];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        int qOff = 3;
        float[] q = new float[qOff + headDim + 3];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        float scale = 0.125f;
        float[] score = new float[len + 4];
        Arrays.fill(score, 42f);
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
        for (int t = len; t < score.length; t++) {
            assertEquals(42f, score[t], "score " + t + " past the positions was written");
        }
    }
}
