package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;

/**
 * Measures the repacked Q8_0 layout ({@link Q8Interleaved}: rows interleaved 16 at a time, multiplied in
 * outer-product form) against the row layout's paths ({@link CpuShard#gemmTiles} for 8 positions, {@code dotQ8} per row for one), on one
 * thread, in the same JVM, alternating round by round; reports medians over the second half of the rounds.
 * Results in docs/benchmarks.md ("Sixth round", "Seventh round").
 *
 * Arguments: shape ({@code ROWSxCOLS}), matrices, rounds. After {@code ./mvnw -o test-compile -pl backend-cpu}:
 *
 * <pre>java --add-modules jdk.incubator.vector -cp backend-cpu/target/test-classes:backend-cpu/target/classes:spi/target/classes \
 *     dev.baremetalrt.backend.cpu.InterleavedQ8Benchmark 5632x2048 4 30</pre>
 */
public final class InterleavedQ8Benchmark {
    private InterleavedQ8Benchmark() {}

    public static void main(String[] args) {
        if (FloatVector.SPECIES_PREFERRED.length() != 16) {
            System.err.println("warning: this CPU's vectors are not 512-bit; the interleaved kernels run emulated (slowly)");
        }
        String[] shape = (args.length > 0 ? args[0] : "5632x2048").split("x");
        int rows = Integer.parseInt(shape[0]);
        int cols = Integer.parseInt(shape[1]);
        int matrices = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        if (rows % 64 != 0 || cols % 32 != 0) {
            throw new IllegalArgumentException("rows must be a multiple of 64 and columns of 32 (whole Q8Interleaved units)");
        }
        SplittableRandom random = new SplittableRandom(1);
        List<Q8Matrix> rowLayout = new ArrayList<>();
        List<Q8Interleaved> interleaved = new ArrayList<>();
        for (int i = 0; i < matrices; i++) {
            MemorySegment data = MatVecBenchmark.randomWeights(WeightType.Q8_0, (long) rows * cols, random);
            Q8Matrix m = (Q8Matrix) WeightMatrix.of(new WeightTensor("bench." + i, WeightType.Q8_0, new long[] {cols, rows}, data));
            rowLayout.add(m);
            interleaved.add(Q8Interleaved.repack(m));
        }
        float[] x = new float[8 * cols];
        float[] xT = new float[8 * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
        }
        for (int p = 0; p < 8; p++) {
            for (int k = 0; k < cols; k++) {
                xT[k * 8 + p] = x[p * cols + k];
            }
        }
        float[] tiles = new float[8 * rows];
        float[] outer = new float[8 * rows];
        float[] rowDots = new float[rows];
        float[] outer1 = new float[rows];
        List<double[]> perRound = new ArrayList<>();
        double weights = (double) rows * cols * matrices;
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            for (Q8Matrix m : rowLayout) {
                CpuShard.gemmTiles(m, x, 8, tiles, 0, rows / CpuShard.GEMM_TILE_ROWS);
            }
            long t1 = System.nanoTime();
            for (Q8Interleaved m : interleaved) {
                m.times8(xT, 8, 0, outer, 0, rows / Q8Interleaved.UNIT_ROWS);
            }
            long t2 = System.nanoTime();
            for (Q8Matrix m : rowLayout) {
                for (int r = 0; r < rows; r++) {
                    rowDots[r] = m.dot(r, x, 0);
                }
            }
            long t3 = System.nanoTime();
            for (Q8Interleaved m : interleaved) {
                m.times1(x, 0, outer1, 0, 0, rows / Q8Interleaved.UNIT_ROWS);
            }
            long t4 = System.nanoTime();
            perRound.add(new double[] {(t1 - t0) / weights, (t2 - t1) / weights, (t3 - t2) / weights, (t4 - t3) / weights});
        }
        double worst = 0;
        for (int i = 0; i < tiles.length; i++) {
            worst = Math.max(worst, Math.abs(tiles[i] - outer[i]) / (1e-3 + Math.abs(tiles[i])));
        }
        for (int i = 0; i < rows; i++) {
            worst = Math.max(worst, Math.abs(rowDots[i] - outer1[i]) / (1e-3 + Math.abs(rowDots[i])));
        }
        List<double[]> measured = perRound.subList(rounds / 2, rounds);
        String[] names = {"8 positions, row layout (gemmTiles)", "8 positions, interleaved", "1 position, row layout (dotQ8)", "1 position, interleaved"};
        System.out.printf("%d x %d Q8_0, %d matrices, one thread, %d rounds (the first %d warm up); largest relative difference %.1e%n",
                rows, cols, matrices, rounds, rounds / 2, worst);
        for (int c = 0; c < names.length; c++) {
            int column = c;
            System.out.printf("%-36s %.4f ns per weight per pass (median)%n", names[c], median(measured.stream().map(r -> r[column]).toList()));
        }
        System.out.printf("interleaved against row layout, per round (median): 8 positions %.2fx as fast, 1 position %.2fx;"
                + " 8 interleaved positions against 8 x one: %.2fx%n", median(measured.stream().map(r -> r[0] / r[1]).toList()),
                median(measured.stream().map(r -> r[2] / r[3]).toList()), median(measured.stream().map(r -> 8 * r[3] / r[1]).toList()));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
