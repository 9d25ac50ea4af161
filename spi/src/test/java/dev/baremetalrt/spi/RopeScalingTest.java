package dev.baremetalrt.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RopeScalingTest {
    /**
     * Llama 3.1 8B's rope_scaling (factor 8, low 1, high 4, original context 8192, theta 500000, head 128).
     * Expected divisors were computed separately in Python from transformers' formula.
     */
    @Test
    void llama31DivisorsMatchTransformers() {
        RopeScaling s = RopeScaling.llama3(8, 1, 4, 8192, 500000, 128);
        assertEquals(64, s.size());
        double[][] expected = {{0, 1}, {20, 1}, {28, 1}, {29, 1.207484}, {30, 1.553415}, {31, 2.026313}, {32, 2.694530},
                {33, 3.684253}, {34, 5.257327}, {35, 8}, {63, 8}};
        for (double[] e : expected) {
            assertEquals(e[1], s.divisor((int) e[0]), 1e-5, "pair " + (int) e[0]);
        }
    }

    @Test
    void configAppliesDivisorsToFrequencies() {
        ModelConfig plain = new ModelConfig("llama", 64, 128, 2, 4, 2, 300, 64, 1e-5f, 10000f, 16);
        ModelConfig scaled = plain.withRopeScaling(RopeScaling.linear(4, 16));
        double[] a = plain.ropeInverseFrequencies();
        double[] b = scaled.ropeInverseFrequencies();
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i] / 4, b[i], 1e-15);
        }
        assertEquals(1.0, a[0]);
        assertTrue(scaled.summary().endsWith("rope-scaling=linear"), scaled.summary());
    }

    @Test
    void badValuesAreRefused() {
        ModelConfig plain = new ModelConfig("llama", 64, 128, 2, 4, 2, 300, 64, 1e-5f, 10000f, 16);
        assertThrows(IllegalArgumentException.class, () -> plain.withRopeScaling(RopeScaling.linear(2, 8)), "wrong divisor count");
        assertThrows(IllegalArgumentException.class, () -> RopeScaling.linear(0, 16));
        assertThrows(IllegalArgumentException.class, () -> RopeScaling.ofDivisors("x", new float[] {1, Float.NaN}));
        assertThrows(IllegalArgumentException.class, () -> RopeScaling.llama3(8, 4, 1, 8192, 500000, 128), "low >= high");
    }
}
