package dev.baremetalrt.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static float[] logits(long seed, int n) {
        Random r = new Random(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            l[i] = (float) r.nextGaussian() * 3;
        }
        return l;
    }

    private static int[] run(SamplingParams params, int steps) {
        Sampler s = new Sampler(params);
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = s.sample(logits(i, 1000), new int[0], 0, 0);
        }
        return out;
    }

    @Test
    void greedyTakesTheArgmax() {
        float[] l = logits(1, 1000);
        assertEquals(Sampler.argmax(l.clone()), new Sampler(SamplingParams.greedy()).sample(l, new int[0], 0, 0));
    }

    @Test
    void sameSeedSameTokensDifferentSeedDifferentTokens() {
        SamplingParams a = SamplingParams.builder().temperature(1.5f).topK(0).topP(1f).minP(0).seed(7).build();
        assertArrayEquals(run(a, 50), run(a, 50));
        SamplingParams b = SamplingParams.builder().temperature(1.5f).topK(0).topP(1f).minP(0).seed(8).build();
        assertFalse(java.util.Arrays.equals(run(a, 50), run(b, 50)));
    }

    @Test
    void topKOneIsGreedy() {
        SamplingParams p = SamplingParams.builder().temperature(2f).topK(1).seed(3).build();
        for (int i = 0; i < 20; i++) {
            float[] l = logits(i, 1000);
            assertEquals(Sampler.argmax(l.clone()), new Sampler(p).sample(l, new int[0], 0, 0));
        }
    }

    @Test
    void topKLimitsTheCandidates() {
        float[] base = logits(5, 1000);
        Set<Integer> top3 = new HashSet<>();
        float[] copy = base.clone();
        for (int k = 0; k < 3; k++) {
            int best = Sampler.argmax(copy);
            top3.add(best);
            copy[best] = Float.NEGATIVE_INFINITY;
        }
        Sampler s = new Sampler(SamplingParams.builder().temperature(5f).topK(3).topP(1f).minP(0).seed(1).build());
        for (int i = 0; i < 200; i++) {
            assertTrue(top3.contains(s.sample(base.clone(), new int[0], 0, 0)));
        }
    }

    @Test
    void withoutTopKTheFullOrderIsUsedAndTiesGoToTheLowerId() {
        float[] l = new float[1000];
        l[500] = 5f;
        l[7] = 5f; // tie with 500: the lower id comes first
        l[3] = -1f;
        Sampler s = new Sampler(SamplingParams.builder().temperature(0.01f).topK(0).topP(0.01f).minP(0).seed(4).build());
        for (int i = 0; i < 20; i++) {
            assertEquals(7, s.sample(l.clone(), new int[0], 0, 0), "top-p keeps only the first of the sorted candidates");
        }
    }

    @Test
    void minPAndTopPDropUnlikelyTokens() {
        float[] l = new float[10];
        l[4] = 10;
        l[7] = 9.5f;
        Sampler minP = new Sampler(SamplingParams.builder().temperature(1f).topK(0).topP(1f).minP(0.5f).seed(2).build());
        Sampler topP = new Sampler(SamplingParams.builder().temperature(1f).topK(0).topP(0.5f).minP(0).seed(2).build());
        for (int i = 0; i < 100; i++) {
            int t = minP.sample(l.clone(), new int[0], 0, 0);
            assertTrue(t == 4 || t == 7, "min-p keeps the two close tokens, got " + t);
            assertEquals(4, topP.sample(l.clone(), new int[0], 0, 0), "top-p 0.5 keeps only the most likely");
        }
    }

    @Test
    void repetitionPenaltyDiscouragesRecentTokens() {
        float[] l = new float[5];
        l[2] = 2f;
        l[3] = 1.5f;
        Sampler s = new Sampler(SamplingParams.builder().temperature(0).repetitionPenalty(2f).build());
        assertEquals(3, s.sample(l, new int[] {2}, 1, 0));
        assertNotEquals(2, Sampler.argmax(l));
    }

    @Test
    void invalidParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.builder().temperature(-1).build());
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.builder().topP(0).build());
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.builder().stop(List.of("")).build());
    }

    @Test
    void stopMatcherHoldsBackPrefixesAndCutsAtTheStop() {
        StopMatcher m = new StopMatcher(List.of("END", "\n\n"));
        assertEquals("hello ", m.accept("hello E"));
        assertEquals("", m.accept("N"));
        assertEquals("ENx", m.accept("x"));
        assertEquals("a", m.accept("aEND tail"));
        assertTrue(m.stopped());
        assertEquals("", m.accept("more"));
        StopMatcher n = new StopMatcher(List.of("END"));
        assertEquals("", n.accept("EN"));
        assertEquals("EN", n.flush());
    }
}
