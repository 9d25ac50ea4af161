package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Matrix-vector products of several weight types in one JVM, round by round in turn, so that the
 * comparison between types sees the same machine state (this shared machine's speed moves by 2x from
 * minute to minute; separate runs cannot tell 10% apart). Each round multiplies every matrix of a type
 * with one x, rows split evenly over the threads, as a decode step does. Reports per type the median ns
 * per weight over the second half of the rounds (the first half warms up the JIT) and the median of the
 * per-round speed relative to the first type. {@code --positions 1,8} also multiplies 8 positions per pass
 * (a decode batch of 8 streams) with the per-row kernels ({@link CpuShard#rowRange}), {@code 8g} through
 * widened tiles and register tiles ({@link CpuShard#gemmTiles}, what the backend uses from
 * {@link WeightMatrix#gemmFromPositions} on), reported as positions per second relative to the first case.
 *
 * <pre>bash backend-cpu/bench/matvec.sh --types Q4_0,Q4_K --threads 2 --rounds 40
 * bash backend-cpu/bench/matvec.sh --types Q8_0 --positions 1,8 --rows 1408 --cols 512 --matrices 16</pre>
 *
 * Weights are random bytes with every block's scale set to 1/128 (no NaN or subnormal scales); the speed
 * of these kernels does not depend on the values.
 */
public final class MatVecBenchmark {
    private MatVecBenchmark() {}

    /** One measured configuration: a weight type and how many positions each pass over a matrix serves. */
    private record Case(WeightType type, int positions, boolean gemm, List<WeightMatrix> matrices) {
        String label() {
            return (positions == 1 ? type.name() : type.name() + " x" + positions) + (gemm ? " gemm" : "");
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(Map.of("types", "Q4_0,Q4_K", "positions", "1", "threads", "2", "rounds", "40",
                "matrices", "8", "rows", "5632", "cols", "2048"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--") || !options.containsKey(args[i].substring(2))) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; options: " + options.keySet());
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        int threads = Integer.parseInt(options.get("threads"));
        int rounds = Integer.parseInt(options.get("rounds"));
        int matrices = Integer.parseInt(options.get("matrices"));
        int rows = Integer.parseInt(options.get("rows"));
        int cols = Integer.parseInt(options.get("cols"));
        SplittableRandom random = new SplittableRandom(1);
        List<Case> cases = new ArrayList<>();
        int mostPositions = 1;
        for (String name : options.get("types").split(",")) {
            WeightType type = WeightType.valueOf(name.trim());
            List<WeightMatrix> list = new ArrayList<>();
            for (int m = 0; m < matrices; m++) {
                list.add(WeightMatrix.of(new WeightTensor("bench." + m, type, new long[] {cols, rows}, randomWeights(type, (long) rows * cols, random))));
            }
            for (String p : options.get("positions").split(",")) {
                boolean gemm = p.trim().endsWith("g");
                int positions = Integer.parseInt(p.trim().replace("g", ""));
                cases.add(new Case(type, positions, gemm, list));
                mostPositions = Math.max(mostPositions, positions);
            }
        }
        float[] x = new float[mostPositions * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
        }
        float[] out = new float[mostPositions * rows];
        Map<Case, List<Double>> nsPerWeight = new LinkedHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int round = 0; round < rounds; round++) {
                for (Case c : cases) {
                    long start = System.nanoTime();
                    for (WeightMatrix m : c.matrices()) {
                        float[][] prepared = new float[c.positions()][];
                        for (int p = 0; p < c.positions(); p++) {
                            prepared[p] = m.prepareInput(x, p * cols);
                        }
                        List<Future<?>> parts = new ArrayList<>();
                        int units = c.gemm() ? (rows + CpuShard.GEMM_TILE_ROWS - 1) / CpuShard.GEMM_TILE_ROWS : rows;
                        for (int t = 0; t < threads; t++) {
                            int from = (int) ((long) units * t / threads);
                            int to = (int) ((long) units * (t + 1) / threads);
                            parts.add(pool.submit(() -> {
                                if (c.gemm()) {
                                    CpuShard.gemmTiles(m, x, c.positions(), out, from, to);
                                } else {
                                    CpuShard.rowRange(m, x, c.positions(), prepared, out, from, to);
                                }
                            }));
                        }
                        for (Future<?> part : parts) {
                            part.get();
                        }
                    }
                    nsPerWeight.computeIfAbsent(c, k -> new ArrayList<>()).add((System.nanoTime() - start) / ((double) rows * cols * c.matrices().size()));
                }
            }
        }
        Case base = cases.getFirst();
        System.out.printf("%d x %d matrices, %d per type, %d thread(s), %d rounds (the first %d warm up)%n", rows, cols, matrices, threads, rounds, rounds / 2);
        for (Case c : cases) {
            List<Double> times = nsPerWeight.get(c);
            List<Double> relative = new ArrayList<>();
            for (int r = rounds / 2; r < rounds; r++) {
                relative.add(nsPerWeight.get(base).get(r) / times.get(r) * c.positions() / base.positions());
            }
            double median = median(times.subList(rounds / 2, rounds));
            System.out.printf("%-9s %.4f ns per weight per pass (median), %.3f GB/s of weights; positions per second relative to %s, per round: median %.3f, range %.3f-%.3f%n",
                    c.label(), median, c.type().byteSize(1L << 20) / (double) (1L << 20) / median, base.label(),
                    median(relative), Collections.min(relative), Collections.max(relative));
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /** Random bytes; every block's f16 scale (and min scale) set to 1/128, F16 values drawn in [-1, 1). */
    static MemorySegment randomWeights(WeightType type, long values, SplittableRandom random) {
        long bytes = type.byteSize(values);
        MemorySegment data = Arena.global().allocate(bytes, 64);
        if (type == WeightType.F16) {
            for (long i = 0; i < values; i++) {
                data.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, Float.floatToFloat16((float) random.nextDouble(-1, 1)));
            }
            return data;
        }
        for (long i = 0; i + 8 <= bytes; i += 8) {
            data.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        }
        short scale = Float.floatToFloat16(1f / 128);
        long[] scaleOffsets = switch (type) {
            case Q4_0, Q8_0 -> new long[] {0};
            case Q4_K, Q5_K -> new long[] {0, 2};
            case Q6_K -> new long[] {208};
            default -> throw new IllegalArgumentException("matvec bench supports F16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K; not " + type);
        };
        for (long block = 0; block < bytes; block += type.bytesPerBlock()) {
            for (long at : scaleOffsets) {
                data.set(ValueLayout.JAVA_SHORT_UNALIGNED, block + at, scale);
            }
        }
        return data;
    }
}
