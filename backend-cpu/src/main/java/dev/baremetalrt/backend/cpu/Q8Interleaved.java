package dev.baremetalrt.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q8_0 matrix repacked at load time for matrix products: rows in groups of 16, and per group and block of 32
 * columns the 32 columns' bytes for the 16 rows ({@code [group][block][column][row]}), plus one 16-float vector of
 * the rows' scales. A widened vector is then one column of 16 rows: it is scaled once and added times each
 * position's broadcast input (outer-product form), 16 outputs are stored as one vector, and there is neither a
 * widened tile written and read back (the row layout's {@link CpuShard#gemmTiles}) nor a lane reduction per output.
 * Measured against the row layout's paths (InterleavedQ8Benchmark, docs/benchmarks.md): 8 positions 1.7-2.4x
 * faster, one position 1.0-1.6x.
 *
 * <p>The engine repacks ({@link CpuWeights}) only where the CPU's preferred vectors are 512-bit, for shapes of whole
 * units (rows a multiple of {@link #UNIT_ROWS}, columns of 32) and while the heap has room: the quants are one heap
 * array per matrix (so at most 2 GB each), which C2 compiles as reliably as the row layout's kernels. Elsewhere the
 * row layout serves. The row layout stays mapped for row lookups ({@link WeightMatrix#dequantizeRow}); products read
 * only this copy. {@code brt.cpu.repack=false} switches it off.
 */
final class Q8Interleaved {
    /** Rows one kernel pass covers: four groups for one position, two pairs of groups for 8. */
    static final int UNIT_ROWS = 64;
    private static final int GROUP = 16;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;

    private final byte[] quants;
    private final float[] scales;
    final int rows;
    final int cols;
    private final int blocks;
    private final int groupBytes;

    private Q8Interleaved(byte[] quants, float[] scales, int rows, int cols) {
        this.quants = quants;
        this.scales = scales;
        this.rows = rows;
        this.cols = cols;
        this.blocks = cols / 32;
        this.groupBytes = blocks * 32 * GROUP;
    }

    /** Whether {@code m} can be repacked: Q8_0 of whole units, under 2 GB (the most one array holds). */
    static boolean fits(WeightMatrix m) {
        return m instanceof Q8Matrix && m.rows % UNIT_ROWS == 0 && m.cols % 32 == 0 && (long) m.rows * m.cols <= Integer.MAX_VALUE - 64;
    }

    /** Bytes the repacked copy of a matrix that {@link #fits} takes. */
    static long byteSizeFor(WeightMatrix m) {
        return (long) m.rows * m.cols + 4L * m.rows * (m.cols / 32);
    }

    /**
     * Repacks {@code m}, which {@link #fits}, whatever this machine's vectors: the kernels use 512-bit vectors, which the
     * JDK emulates (correctly, many times slower) where the CPU has none, so tests check them on any machine.
     */
    static Q8Interleaved repack(Q8Matrix m) {
        if (!fits(m)) {
            throw new IllegalArgumentException("not Q8_0 of whole %d-row units: %d x %d".formatted(UNIT_ROWS, m.rows, m.cols));
        }
        int rows = m.rows;
        int cols = m.cols;
        int blocks = cols / 32;
        byte[] quants = new byte[rows * cols];
        float[] scales = new float[rows * blocks];
        int rowBytes = (int) m.rowBytes;
        byte[] group = new byte[GROUP * rowBytes];
        for (int g = 0; g < rows / GROUP; g++) {
            // One bulk read per group of rows, then the bytes are scattered in memory.
            MemorySegment.copy(m.data, ValueLayout.JAVA_BYTE, (long) g * GROUP * rowBytes, group, 0, group.length);
            for (int b = 0; b < blocks; b++) {
                int to = (g * blocks + b) * 32 * GROUP;
                for (int r = 0; r < GROUP; r++) {
                    int from = r * rowBytes + b * 34;
                    scales[(g * blocks + b) * GROUP + r] = Float.float16ToFloat((short) ((group[from] & 0xFF) | (group[from + 1] << 8)));
                    for (int k = 0; k < 32; k++) {
                        quants[to + k * GROUP + r] = group[from + 2 + k];
                    }
                }
            }
        }
        return new Q8Interleaved(quants, scales, rows, cols);
    }

    long byteSize() {
        return quants.length + 4L * scales.length;
    }

    // The kernels read the fields into locals (C2 does not trust a plain class's final fields as constants: reading
    // the segment from the field kept its bounds check in every load) and widen inline (a helper returning a vector
    // was sometimes left out of line by C2, and every vector boxed: 3x slower than the row layout in those runs).

    /**
     * Rows [u0 * UNIT_ROWS, u1 * UNIT_ROWS) for up to 8 positions: {@code out[(p0 + p) * rows + r]} for p below
     * {@code count}, given those positions' input transposed and zero-padded to 8, {@code xT[k * 8 + p]}.
     */
    void times8(float[] xT, int count, int p0, float[] out, int u0, int u1) {
        byte[] quants = this.quants;
        float[] scales = this.scales;
        int blocks = this.blocks;
        int groupBytes = this.groupBytes;
        int rows = this.rows;
        for (int g = u0 * (UNIT_ROWS / GROUP); g < u1 * (UNIT_ROWS / GROUP); g += 2) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0, c5 = a0, c6 = a0, c7 = a0;
            int at = g * groupBytes;
            for (int b = 0; b < blocks; b++) {
                FloatVector scaleA = FloatVector.fromArray(F, scales, ((g) * blocks + b) * GROUP);
                FloatVector scaleC = FloatVector.fromArray(F, scales, ((g + 1) * blocks + b) * GROUP);
                for (int k = b * 256, end = k + 256; k < end; k += 8, at += GROUP) {
                    FloatVector wa = ((FloatVector) ByteVector.fromArray(B, quants, at).convertShape(VectorOperators.B2F, F, 0)).mul(scaleA);
                    FloatVector wc = ((FloatVector) ByteVector.fromArray(B, quants, at + groupBytes).convertShape(VectorOperators.B2F, F, 0)).mul(scaleC);
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
            // Written out: an array of vectors would make them escape and be boxed.
            int o = p0 * rows + g * GROUP;
            store(a0, c0, out, o, 0, count);
            store(a1, c1, out, o + rows, 1, count);
            store(a2, c2, out, o + 2 * rows, 2, count);
            store(a3, c3, out, o + 3 * rows, 3, count);
            store(a4, c4, out, o + 4 * rows, 4, count);
            store(a5, c5, out, o + 5 * rows, 5, count);
            store(a6, c6, out, o + 6 * rows, 6, count);
            store(a7, c7, out, o + 7 * rows, 7, count);
        }
    }

    private static void store(FloatVector first, FloatVector second, float[] out, int at, int position, int count) {
        if (position < count) {
            first.intoArray(out, at);
            second.intoArray(out, at + GROUP);
        }
    }

    /** Rows [u0 * UNIT_ROWS, u1 * UNIT_ROWS) for one position: {@code out[outOff + r] = dot(row r, x[xOff ..])}. */
    void times1(float[] x, int xOff, float[] out, int outOff, int u0, int u1) {
        byte[] quants = this.quants;
        float[] scales = this.scales;
        int blocks = this.blocks;
        int groupBytes = this.groupBytes;
        for (int g = u0 * (UNIT_ROWS / GROUP); g < u1 * (UNIT_ROWS / GROUP); g += 4) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int at = g * groupBytes;
            for (int b = 0; b < blocks; b++) {
                // Four groups per pass, so each broadcast input serves four columns; two chains each.
                FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0, q0 = p0, q1 = p0, q2 = p0, q3 = p0;
                for (int k = xOff + b * 32, end = k + 32; k < end; k += 2, at += 2 * GROUP) {
                    FloatVector x0 = FloatVector.broadcast(F, x[k]);
                    FloatVector x1 = FloatVector.broadcast(F, x[k + 1]);
                    p0 = ((FloatVector) ByteVector.fromArray(B, quants, at).convertShape(VectorOperators.B2F, F, 0)).fma(x0, p0);
                    p1 = ((FloatVector) ByteVector.fromArray(B, quants, at + groupBytes).convertShape(VectorOperators.B2F, F, 0)).fma(x0, p1);
                    p2 = ((FloatVector) ByteVector.fromArray(B, quants, at + 2 * groupBytes).convertShape(VectorOperators.B2F, F, 0)).fma(x0, p2);
                    p3 = ((FloatVector) ByteVector.fromArray(B, quants, at + 3 * groupBytes).convertShape(VectorOperators.B2F, F, 0)).fma(x0, p3);
                    q0 = ((FloatVector) ByteVector.fromArray(B, quants, at + GROUP).convertShape(VectorOperators.B2F, F, 0)).fma(x1, q0);
                    q1 = ((FloatVector) ByteVector.fromArray(B, quants, at + groupBytes + GROUP).convertShape(VectorOperators.B2F, F, 0)).fma(x1, q1);
                    q2 = ((FloatVector) ByteVector.fromArray(B, quants, at + 2 * groupBytes + GROUP).convertShape(VectorOperators.B2F, F, 0)).fma(x1, q2);
                    q3 = ((FloatVector) ByteVector.fromArray(B, quants, at + 3 * groupBytes + GROUP).convertShape(VectorOperators.B2F, F, 0)).fma(x1, q3);
                }
                a0 = p0.add(q0).fma(FloatVector.fromArray(F, scales, ((g) * blocks + b) * GROUP), a0);
                a1 = p1.add(q1).fma(FloatVector.fromArray(F, scales, ((g + 1) * blocks + b) * GROUP), a1);
                a2 = p2.add(q2).fma(FloatVector.fromArray(F, scales, ((g + 2) * blocks + b) * GROUP), a2);
                a3 = p3.add(q3).fma(FloatVector.fromArray(F, scales, ((g + 3) * blocks + b) * GROUP), a3);
            }
            int o = outOff + g * GROUP;
            a0.intoArray(out, o);
            a1.intoArray(out, o + GROUP);
            a2.intoArray(out, o + 2 * GROUP);
            a3.intoArray(out, o + 3 * GROUP);
        }
    }

    /** Positions [p0, p0 + count) of x ([position][cols]) transposed into xT[k * 8 + p], zero beyond count. */
    static void transpose8(float[] x, int cols, int p0, int count, float[] xT) {
        java.util.Arrays.fill(xT, 0f);
        for (int p = 0; p < count; p++) {
            int from = (p0 + p) * cols;
            for (int k = 0; k < cols; k++) {
                xT[k * 8 + p] = x[from + k];
            }
        }
    }
}
