package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures a candidate layout for Q8_0 matrices that the engine does not use yet: rows interleaved 16 at a
 * time ({@code [group of 16 rows][block of 32 columns][column][row]} bytes, scales as one 16-float vector per
 * group and block), multiplied in outer-product form: one widened vector holds a column of 16 rows, each position
 * adds it times its broadcast input, so no widened tile is stored and no output needs a lane reduction. Against
 * the row layout's paths ({@link CpuShard#gemmTiles} for 8 positions, {@code dotQ8} per row for one), on one
 * thread, in the same JVM, alternating round by round; reports medians over the second half of the rounds.
 * Results in docs/benchmarks.md ("Sixth round").
 *
 * Arguments: shape ({@code ROWSxCOLS}), matrices, rounds. After {@code ./mvnw -o test-compile -pl backend-cpu}:
 *
 * <pre>java --add-modules jdk.incubator.vector -cp backend-cpu/target/test-classes:backend-cpu/target/classes:spi/target/classes \
 *     dev.baremetalrt.backend.cpu.InterleavedQ8Benchmark 5632x2048 4 30</pre>
 */
public final class InterleavedQ8Benchmark {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private InterleavedQ8Benchmark() {}

    private record Interleaved(MemorySegment quants, float[] scales, int rows, int cols) {
        static Interleaved of(Q8Matrix m) {
            int rows = m.rows;
            int cols = m.cols;
            int blocks = cols / 32;
            MemorySegment q = Arena.global().allocate((long) rows * cols, 64);
            float[] s = new float[rows * blocks];
            for (int g = 0; g < rows / 16; g++) {
                for (int b = 0; b < blocks; b++) {
                    for (int r = 0; r < 16; r++) {
                        long off = (long) (g * 16 + r) * m.rowBytes + b * 34L;
                        s[(g * blocks + b) * 16 + r] = WeightMatrix.f16(m.data, off);
                        for (int k = 0; k < 32; k++) {
                            q.set(ValueLayout.JAVA_BYTE, ((long) (g * blocks + b) * 32 + k) * 16 + r, m.data.get(ValueLayout.JAVA_BYTE, off + 2 + k));
                        }
                    }
                }
            }
            return new Interleaved(q, s, rows, cols);
        }
    }

    private static FloatVector column(MemorySegment q, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(B, q, at, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * out[p * rows + r] for 8 positions given the input transposed, xT[k * 8 + p]: two groups (32 rows) per pass, each
     * widened column scaled once and then used by all 8 positions (16 accumulators, 10 loads per 16 FMAs).
     */
    static void times8(Interleaved m, float[] xT, float[] out) {
        int blocks = m.cols / 32;
        long gb = (long) blocks * 512;
        int rows = m.rows;
        for (int g = 0; g + 1 < rows / 16; g += 2) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0, c5 = a0, c6 = a0, c7 = a0;
            long at = (long) g * gb;
            for (int b = 0; b < blocks; b++) {
                FloatVector scaleA = FloatVector.fromArray(F, m.scales, (g * blocks + b) * 16);
                FloatVector scaleC = FloatVector.fromArray(F, m.scales, ((g + 1) * blocks + b) * 16);
                // Written out position by position, as VectorKernels.gemm4x4: vectors in an array would escape and be boxed.
                for (int k = b * 256, end = k + 256; k < end; k += 8, at += 16) {
                    FloatVector wa = column(m.quants, at).mul(scaleA);
                    FloatVector wc = column(m.quants, at + gb).mul(scaleC);
                    FloatVector x0 = FloatVector.broadcast(F, xT[k]);
                    a0 = wa.fma(x0, a0);
                    c0 = wc.fma(x0, c0);
                    FloatVector x1 = FloatVector.broadcast(F, xT[k + 1]);
                    a1 = wa.fma(x1, a1);
                    c1 = wc.fma(x1, c1);
                    FloatVector x2 = FloatVector.broadcast(F, xT[k + 2]);
                    a2 = wa.fma(x2, a2);
                    c2 = wc.fma(x2, c2);
                    FloatVector x3 = FloatVector.broadcast(F, xT[k + 3]);
                    a3 = wa.fma(x3, a3);
                    c3 = wc.fma(x3, c3);
                    FloatVector x4 = FloatVector.broadcast(F, xT[k + 4]);
                    a4 = wa.fma(x4, a4);
                    c4 = wc.fma(x4, c4);
                    FloatVector x5 = FloatVector.broadcast(F, xT[k + 5]);
                    a5 = wa.fma(x5, a5);
                    c5 = wc.fma(x5, c5);
                    FloatVector x6 = FloatVector.broadcast(F, xT[k + 6]);
                    a6 = wa.fma(x6, a6);
                    c6 = wc.fma(x6, c6);
                    FloatVector x7 = FloatVector.broadcast(F, xT[k + 7]);
                    a7 = wa.fma(x7, a7);
                    c7 = wc.fma(x7, c7);
                }
            }
            int o = g * 16;
            a0.intoArray(out, o);
            a1.intoArray(out, rows + o);
            a2.intoArray(out, 2 * rows + o);
            a3.intoArray(out, 3 * rows + o);
            a4.intoArray(out, 4 * rows + o);
            a5.intoArray(out, 5 * rows + o);
            a6.intoArray(out, 6 * rows + o);
            a7.intoArray(out, 7 * rows + o);
            o += 16;
            c0.intoArray(out, o);
            c1.intoArray(out, rows + o);
            c2.intoArray(out, 2 * rows + o);
            c3.intoArray(out, 3 * rows + o);
            c4.intoArray(out, 4 * rows + o);
            c5.intoArray(out, 5 * rows + o);
            c6.intoArray(out, 6 * rows + o);
            c7.intoArray(out, 7 * rows + o);
        }
    }

    /** out[r] for one position: four groups (64 rows) per pass, so each broadcast input serves four columns; two chains each. */
    static void times1(Interleaved m, float[] x, float[] out) {
        int blocks = m.cols / 32;
        long gb = (long) blocks * 512;
        for (int g = 0; g + 3 < m.rows / 16; g += 4) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            long at = (long) g * gb;
            for (int b = 0; b < blocks; b++) {
                FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0, q0 = p0, q1 = p0, q2 = p0, q3 = p0;
                for (int k = b * 32, end = k + 32; k < end; k += 2, at += 32) {
                    FloatVector x0 = FloatVector.broadcast(F, x[k]);
                    FloatVector x1 = FloatVector.broadcast(F, x[k + 1]);
                    p0 = column(m.quants, at).fma(x0, p0);
                    p1 = column(m.quants, at + gb).fma(x0, p1);
                    p2 = column(m.quants, at + 2 * gb).fma(x0, p2);
                    p3 = column(m.quants, at + 3 * gb).fma(x0, p3);
                    q0 = column(m.quants, at + 16).fma(x1, q0);
                    q1 = column(m.quants, at + gb + 16).fma(x1, q1);
                    q2 = column(m.quants, at + 2 * gb + 16).fma(x1, q2);
                    q3 = column(m.quants, at + 3 * gb + 16).fma(x1, q3);
                }
                a0 = p0.add(q0).fma(FloatVector.fromArray(F, m.scales, (g * blocks + b) * 16), a0);
                a1 = p1.add(q1).fma(FloatVector.fromArray(F, m.scales, ((g + 1) * blocks + b) * 16), a1);
                a2 = p2.add(q2).fma(FloatVector.fromArray(F, m.scales, ((g + 2) * blocks + b) * 16), a2);
                a3 = p3.add(q3).fma(FloatVector.fromArray(F, m.scales, ((g + 3) * blocks + b) * 16), a3);
            }
            a0.intoArray(out, g * 16);
            a1.intoArray(out, (g + 1) * 16);
            a2.intoArray(out, (g + 2) * 16);
            a3.intoArray(out, (g + 3) * 16);
        }
    }

    public static void main(String[] args) {
        if (FloatVector.SPECIES_PREFERRED.length() != 16) {
            throw new IllegalStateException("this prototype assumes 512-bit vectors (16 float lanes)");
        }
        String[] shape = (args.length > 0 ? args[0] : "5632x2048").split("x");
        int rows = Integer.parseInt(shape[0]);
        int cols = Integer.parseInt(shape[1]);
        int matrices = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        if (rows % 64 != 0 || cols % 32 != 0) {
            throw new IllegalArgumentException("rows must be a multiple of 64 and columns of 32 (no tails in this prototype)");
        }
        SplittableRandom random = new SplittableRandom(1);
        List<Q8Matrix> rowLayout = new ArrayList<>();
        List<Interleaved> interleaved = new ArrayList<>();
        for (int i = 0; i < matrices; i++) {
            MemorySegment data = MatVecBenchmark.randomWeights(WeightType.Q8_0, (long) rows * cols, random);
            Q8Matrix m = (Q8Matrix) WeightMatrix.of(new WeightTensor("bench." + i, WeightType.Q8_0, new long[] {cols, rows}, data));
            rowLayout.add(m);
            interleaved.add(Interleaved.of(m));
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
            for (Interleaved m : interleaved) {
                times8(m, xT, outer);
            }
            long t2 = System.nanoTime();
            for (Q8Matrix m : rowLayout) {
                for (int r = 0; r < rows; r++) {
                    rowDots[r] = m.dot(r, x, 0);
                }
            }
            long t3 = System.nanoTime();
            for (Interleaved m : interleaved) {
                times1(m, x, outer1);
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
