package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Softmax and SiLU-times-up, as the layer runs them ({@link Ops}, vector kernels when the Vector API is on),
 * against double precision: lengths below, at and past a vector's lanes, so the masked last vector is checked.
 */
class ElementwiseOpsTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 7, 8, 15, 16, 17, 33, 100, 1408})
    void softmaxMatchesDoublePrecision(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = new float[n + 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 40 - 20);
        }
        float[] tail = Arrays.copyOfRange(x, n, x.length);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        double sum = 0;
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = Math.exp(x[i] - max);
            sum += expected[i];
        }
        Ops.softmax(x, n);
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i] / sum, x[i], 1e-6 * (expected[i] / sum) + 1e-12, "softmax element " + i + " of " + n);
        }
        for (int i = 0; i < tail.length; i++) {
            assertEquals(tail[i], x[n + i], "element " + (n + i) + " past the softmax's range was changed");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 8, 15, 16, 17, 33, 100, 1408})
    void siluMulMatchesDoublePrecision(int n) {
        SplittableRandom rnd = new SplittableRandom(100 + n);
        int off = 3;
        float[] gate = new float[off + n + 5];
        float[] up = new float[gate.length];
        for (int i = 0; i < gate.length; i++) {
            gate[i] = (float) (rnd.nextDouble() * 30 - 15);
            up[i] = (float) (rnd.nextDouble() * 4 - 2);
        }
        float[] before = gate.clone();
        Ops.siluMul(gate, up, off, n);
        for (int i = 0; i < gate.length; i++) {
            if (i < off || i >= off + n) {
                assertEquals(before[i], gate[i], "element " + i + " outside [" + off + ", " + (off + n) + ") was changed");
                continue;
            }
            double g = before[i];
            double expected = g / (1 + Math.exp(-g)) * up[i];
            assertEquals(expected, gate[i], 2e-6 * Math.abs(expected) + 1e-30, "silu(gate) * up at " + i);
        }
    }

    @Test
    void opsTakesTheVectorKernelWhenTheVectorApiIsOn() {
        assumeTrue(Simd.ENABLED, "the Vector API kernels are off here: " + Simd.reason());
        int n = 17; // with this input the scalar and the vector exponentials differ in the last bit (at 16 they agree)
        float[] viaOps = new float[n];
        for (int i = 0; i < n; i++) {
            viaOps[i] = i * 0.25f - 2;
        }
        float[] vector = viaOps.clone();
        float[] scalar = viaOps.clone();
        float max = scalar[n - 1];
        float sum = 0;
        for (int i = 0; i < n; i++) {
            scalar[i] = (float) Math.exp(scalar[i] - max);
            sum += scalar[i];
        }
        for (int i = 0; i < n; i++) {
            scalar[i] *= 1f / sum;
        }
        Ops.softmax(viaOps, n);
        VectorKernels.softmax(vector, n);
        assertNotEquals(Arrays.toString(scalar), Arrays.toString(vector), "this input no longer tells the two paths apart; pick another");
        assertEquals(Arrays.toString(vector), Arrays.toString(viaOps), "Ops.softmax does not take the vector kernel");
    }
}
