package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A 2-D weight matrix in its stored type, read in place from the mapping: {@code rows} rows of
 * {@code cols} values. Subclasses implement the dot products for their encoding.
 */
abstract class WeightMatrix {
    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final String name;
    final MemorySegment data;
    final int rows;
    final int cols;
    final long rowBytes;

    WeightMatrix(WeightTensor t) {
        this.name = t.name();
        this.data = t.data();
        this.cols = Math.toIntExact(t.columns());
        this.rows = Math.toIntExact(t.rows());
        this.rowBytes = t.type().byteSize(cols);
    }

    static WeightMatrix of(WeightTensor t) {
        if (t.shape().length != 2) {
            throw new BackendException("tensor %s is not a matrix: shape %s".formatted(t.name(), java.util.Arrays.toString(t.shape())));
        }
        return switch (t.type()) {
            case F32 -> new F32Matrix(t);
            case F16 -> new F16Matrix(t);
            case BF16 -> new BF16Matrix(t);
            case Q8_0 -> new Q8Matrix(t);
            case Q4_0 -> new Q4Matrix(t);
            case Q4_K -> new Q4KMatrix(t);
            case Q5_K -> new Q5KMatrix(t);
            case Q6_K -> new Q6KMatrix(t);
            case Q8_K -> new Q8KMatrix(t);
        };
    }

    /** Dot product of row {@code row} with {@code x[xOff .. xOff+cols)}. */
    abstract float dot(int row, float[] x, int xOff);

    /**
     * Work on {@code x[xOff .. xOff+cols)} that every row's dot product would otherwise repeat, done once
     * per matrix-vector product and handed to {@link #dot(int, float[], int, float[])}: for K-quants with
     * mins, the sums of x over each sub-block. Null (the default) when the type needs none.
     */
    float[] prepareInput(float[] x, int xOff) {
        return null;
    }

    /** {@link #dot} given what {@link #prepareInput} returned for the same x. */
    float dot(int row, float[] x, int xOff, float[] prepared) {
        return dot(row, x, xOff);
    }

    /**
     * Dot products of row {@code row} with four vectors at {@code xOff + k*stride}, k = 0..3, into
     * {@code out[0..4)}: one read of the row serves four positions (batches below {@link #gemmFromPositions}).
     */
    void dot4(int row, float[] x, int xOff, int stride, float[] out) {
        for (int k = 0; k < 4; k++) {
            out[k] = dot(row, x, xOff + k * stride);
        }
    }

    /**
     * From this many positions per matrix product on, widening a tile of rows to floats once and multiplying
     * it with all positions in register tiles ({@code CpuShard.gemmTiles}) beats the fused per-row kernels. 4 for
     * every type since the tiles were tuned: at 4 and 5 positions tiles gave Q8_0 2.3-3.2x and 2.2-3.0x one
     * position's rate against 2.0-2.5x and 1.9-2.3x by rows, F16 3.5x against 2.2x, with 512- and with 256-bit
     * vectors (MatVecBenchmark {@code --positions 1,4,4g,5,5g}, docs/benchmarks.md); at 3 they were even.
     */
    int gemmFromPositions() {
        return 4;
    }

    /** This matrix repacked for products ({@link Q8Interleaved}), or null: the row layout serves. Set once, at load. */
    private Q8Interleaved packed;

    /** Hands products to {@code copy}, this matrix repacked (at load, by {@link CpuWeights}). */
    void usePacked(Q8Interleaved copy) {
        packed = copy;
    }

    Q8Interleaved packed() {
        return packed;
    }

    /** Writes row {@code row} as floats into {@code out[outOff ..]}. */
    abstract void dequantizeRow(int row, float[] out, int outOff);

    long byteSize() {
        return data.byteSize();
    }

    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(I16_LE, offset));
    }
}
