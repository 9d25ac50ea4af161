package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;

/**
 * K-quants whose values carry a per-sub-block min (Q4_K, Q5_K): their vector dot products take the sums of
 * x over each 32-value sub-block, computed once per matrix-vector product by {@link #prepareInput}
 * rather than once per row. Without vectors the scalar path needs none.
 */
abstract class KQuantWithMinsMatrix extends KQuantMatrix {
    KQuantWithMinsMatrix(WeightTensor t) {
        super(t);
    }

    /** The fused vector kernel for the row at byte offset {@code off}, given {@link KQuantKernels#subBlockSums}. */
    abstract float vectorDot(long off, float[] x, int xOff, float[] sums);

    @Override
    final float[] prepareInput(float[] x, int xOff) {
        return Simd.ENABLED ? KQuantKernels.subBlockSums(x, xOff, cols) : null;
    }

    @Override
    final float dot(int row, float[] x, int xOff) {
        return dot(row, x, xOff, prepareInput(x, xOff));
    }

    @Override
    final float dot(int row, float[] x, int xOff, float[] prepared) {
        return prepared != null ? vectorDot(row * rowBytes, x, xOff, prepared) : super.dot(row, x, xOff);
    }
}
