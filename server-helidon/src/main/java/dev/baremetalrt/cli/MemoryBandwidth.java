package dev.baremetalrt.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures this machine's memory read bandwidth the way decode reads weights: {@code threads} threads
 * each stream through their part of a buffer far larger than the caches, summing it with vector loads.
 */
final class MemoryBandwidth {
    private static final VectorSpecies<Long> SPECIES = LongVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {}

    /** Median GB/s (1e9 bytes) over {@code repeats} full passes. */
    static double measure(long bytes, int threads, int repeats) throws Exception {
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            MemorySegment buffer = arena.allocate(bytes, 4096);
            for (long i = 0; i < bytes; i += 4096) {
                buffer.set(ValueLayout.JAVA_LONG, i, i); // touch every page before timing
            }
            long part = bytes / threads / 64 * 64;
            double[] results = new double[repeats];
            long sink = 0;
            for (int r = -1; r < repeats; r++) { // r = -1 warms up the JIT
                List<Future<Long>> parts = new ArrayList<>();
                long start = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    MemorySegment slice = buffer.asSlice(t * part, part);
                    parts.add(pool.submit(() -> sum(slice)));
                }
                for (Future<Long> f : parts) {
                    sink += f.get();
                }
                long nanos = System.nanoTime() - start;
                if (r >= 0) {
                    results[r] = part * threads / (double) nanos;
                }
            }
            if (sink == 42) {
                System.err.print(""); // keeps the sums alive
            }
            java.util.Arrays.sort(results);
            return results[repeats / 2];
        }
    }

    private static long sum(MemorySegment s) {
        LongVector acc = LongVector.zero(SPECIES);
        long step = SPECIES.vectorByteSize();
        long end = s.byteSize() - step * 4;
        long i = 0;
        LongVector a1 = acc, a2 = acc, a3 = acc;
        for (; i <= end; i += step * 4) {
            acc = acc.add(LongVector.fromMemorySegment(SPECIES, s, i, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(LongVector.fromMemorySegment(SPECIES, s, i + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(LongVector.fromMemorySegment(SPECIES, s, i + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(LongVector.fromMemorySegment(SPECIES, s, i + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return acc.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
