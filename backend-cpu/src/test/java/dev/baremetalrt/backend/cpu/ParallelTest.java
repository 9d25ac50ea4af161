package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Parallel}'s guided chunks: every index once, chunks no smaller than asked (but the last), failures rethrown. */
class ParallelTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void everyIndexRunsExactlyOnce(int threads) {
        try (Parallel parallel = new Parallel(threads)) {
            for (int n : new int[] {1, 2, 7, 16, 17, 100, 1000, 5632}) {
                for (int minChunk : new int[] {1, 4, 16}) {
                    AtomicIntegerArray visits = new AtomicIntegerArray(n);
                    int[] smallChunks = new int[1];
                    parallel.forRange(n, minChunk, (a, b) -> {
                        assertTrue(a < b && a >= 0 && b <= n, "chunk [" + a + ", " + b + ") outside [0, " + n + ")");
                        if (b - a < minChunk && b != n) {
                            synchronized (smallChunks) {
                                smallChunks[0]++;
                            }
                        }
                        for (int i = a; i < b; i++) {
                            visits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, visits.get(i), "index " + i + " of " + n + " (min chunk " + minChunk + ", " + threads + " threads)");
                    }
                    assertEquals(0, smallChunks[0], "chunks below the minimum of " + minChunk + " before the end of " + n);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aFailingChunkFailsTheCallAndThePoolGoesOn(int threads) {
        try (Parallel parallel = new Parallel(threads)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> parallel.forRange(1000, 1, (a, b) -> {
                if (a <= 500 && 500 < b) {
                    throw new IllegalStateException("chunk with 500");
                }
            }));
            assertEquals("chunk with 500", e.getMessage());
            AtomicIntegerArray visits = new AtomicIntegerArray(100);
            parallel.forRange(100, 1, (a, b) -> {
                for (int i = a; i < b; i++) {
                    visits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 100; i++) {
                assertEquals(1, visits.get(i), "index " + i + " after a failed call");
            }
        }
    }
}
