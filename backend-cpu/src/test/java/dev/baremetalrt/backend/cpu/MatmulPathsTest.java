package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The two ways a batch goes through a weight matrix — per-row kernels ({@link CpuShard#rowRange}, decode)
 * and widened tiles times register tiles ({@link CpuShard#gemmTiles}, prefill and decode batches of
 * {@link WeightMatrix#gemmFromPositions} or more) — against a double-precision product of the widened rows,
 * for every weight type and batch sizes on both sides of the switch and with leftover rows and positions.
 */
class MatmulPathsTest {
    private static final int ROWS = 21; // not a multiple of the tile rows or of 4: a row is left over
    private static final int COLS = 512;

    @ParameterizedTest
    @EnumSource(value = WeightType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void rowKernelsAndTilesAgreeWithTheWidenedRows(WeightType type) {
        SplittableRandom rnd = new SplittableRandom(type.ordinal() + 11);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix w = WeightMatrix.of(new WeightTensor("blk.0.ffn_up.weight", type, new long[] {COLS, ROWS}, randomWeights(type, arena, rnd)));
            double[][] rows = new double[ROWS][COLS];
            float[] row = new float[COLS];
            for (int r = 0; r < ROWS; r++) {
                w.dequantizeRow(r, row, 0);
                for (int c = 0; c < COLS; c++) {
                    rows[r][c] = row[c];
                }
            }
            for (int n : new int[] {1, 3, 4, 5, 6, 7, 8, 9, 16, 18}) {
                float[] x = new float[n * COLS];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextDouble(-1, 1);
                }
                float[][] prepared = new float[n][];
                for (int p = 0; p < n; p++) {
                    prepared[p] = w.prepareInput(x, p * COLS);
                }
                float[] byRows = new float[n * ROWS];
                CpuShard.rowRange(w, x, n, prepared, byRows, 0, ROWS);
                float[] byTiles = new float[n * ROWS];
                if (Simd.ENABLED) {
                    CpuShard.gemmTiles(w, x, n, byTiles, 0, (ROWS + CpuShard.GEMM_TILE_ROWS - 1) / CpuShard.GEMM_TILE_ROWS);
                }
                for (int p = 0; p < n; p++) {
                    for (int r = 0; r < ROWS; r++) {
                        double want = 0;
                        double magnitude = 0;
                        for (int c = 0; c < COLS; c++) {
                            want += rows[r][c] * x[p * COLS + c];
                            magnitude += Math.abs(rows[r][c] * x[p * COLS + c]);
                        }
                        String where = "%s, %d positions, position %d, row %d".formatted(type, n, p, r);
                        assertEquals(want, byRows[p * ROWS + r], 1e-5 * magnitude + 1e-6, "per-row kernels: " + where);
                        if (Simd.ENABLED) {
                            assertEquals(want, byTiles[p * ROWS + r], 1e-5 * magnitude + 1e-6, "tiles: " + where);
                        }
                    }
                }
            }
        }
    }

    /**
     * Q8_0 repacked for products ({@link Q8Interleaved}; on any CPU, emulated where it has no 512-bit vectors): one
     * position at a time and chunks of 8, padded ones included, against the double-precision product of the row layout.
     */
    @Test
    void repackedQ8AgreesWithTheWidenedRows() {
        int rowCount = 2 * Q8Interleaved.UNIT_ROWS;
        SplittableRandom rnd = new SplittableRandom(5);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix w = WeightMatrix.of(new WeightTensor("blk.0.ffn_up.weight", WeightType.Q8_0, new long[] {COLS, rowCount},
                    randomWeights(WeightType.Q8_0, rowCount, arena, rnd)));
            Q8Interleaved packed = Q8Interleaved.repack((Q8Matrix) w);
            float[] row = new float[COLS];
            double[][] rows = new double[rowCount][COLS];
            for (int r = 0; r < rowCount; r++) {
                w.dequantizeRow(r, row, 0);
                for (int c = 0; c < COLS; c++) {
                    rows[r][c] = row[c];
                }
            }
            for (int n : new int[] {1, 2, 3, 7, 8, 9, 10, 11, 16, 18}) {
                float[] x = new float[n * COLS];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextDouble(-1, 1);
                }
                float[][] xT = null;
                if (n >= CpuShard.PACKED_CHUNK_FROM) {
                    xT = new float[(n + 7) / 8][8 * COLS];
                    for (int c = 0; c < xT.length; c++) {
                        Q8Interleaved.transpose8(x, COLS, 8 * c, Math.min(8, n - 8 * c), xT[c]);
                    }
                }
                float[] out = new float[n * rowCount];
                java.util.Arrays.fill(out, Float.NaN); // every output must be written
                CpuShard.packedRange(packed, x, n, xT, out, 0, 1);
                CpuShard.packedRange(packed, x, n, xT, out, 1, 2);
                for (int p = 0; p < n; p++) {
                    for (int r = 0; r < rowCount; r++) {
                        double want = 0;
                        double magnitude = 0;
                        for (int c = 0; c < COLS; c++) {
                            want += rows[r][c] * x[p * COLS + c];
                            magnitude += Math.abs(rows[r][c] * x[p * COLS + c]);
                        }
                        assertEquals(want, out[p * rowCount + r], 1e-5 * magnitude + 1e-6, "repacked Q8_0, %d positions, position %d, row %d".formatted(n, p, r));
                    }
                }
            }
        }
    }

    /** Random values for float types; random bytes with finite block scales in [0.001, 0.1) for quantized ones. */
    private static MemorySegment randomWeights(WeightType type, Arena arena, SplittableRandom rnd) {
        return randomWeights(type, ROWS, arena, rnd);
    }

    private static MemorySegment randomWeights(WeightType type, int rowCount, Arena arena, SplittableRandom rnd) {
        long values = (long) rowCount * COLS;
        MemorySegment data = arena.allocate(type.byteSize(values));
        var f16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < values; i++) {
                    data.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * i, (float) rnd.nextDouble(-1, 1));
                }
                return data;
            }
            case F16 -> {
                for (long i = 0; i < values; i++) {
                    data.set(f16, 2 * i, Float.floatToFloat16((float) rnd.nextDouble(-1, 1)));
                }
                return data;
            }
            case BF16 -> {
                for (long i = 0; i < values; i++) {
                    data.set(f16, 2 * i, (short) (Float.floatToRawIntBits((float) rnd.nextDouble(-1, 1)) >>> 16));
                }
                return data;
            }
            default -> {
                for (long i = 0; i < data.byteSize(); i++) {
                    data.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
                }
                long[] scaleOffsets = switch (type) {
                    case Q8_0, Q4_0 -> new long[] {0};
                    case Q4_K, Q5_K -> new long[] {0, 2};
                    case Q6_K -> new long[] {208};
                    default -> throw new IllegalArgumentException(type.toString());
                };
                for (long block = 0; block < data.byteSize(); block += type.bytesPerBlock()) {
                    for (long at : scaleOffsets) {
                        data.set(f16, block + at, Float.floatToFloat16((float) rnd.nextDouble(0.001, 0.1)));
                    }
                }
                return data;
            }
        }
    }
}
