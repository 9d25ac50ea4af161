package dev.baremetalrt.core.synth;

import dev.baremetalrt.spi.WeightType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import java.util.stream.IntStream;

/**
 * The random weights both generators write. Matrices are uniform with standard deviation
 * {@code 1/sqrt(rowLength)} so activations keep a sane scale through many layers; norms are 1. Each row has
 * its own random stream derived from (seed, tensor index, row), so rows are generated in parallel, the
 * output does not depend on the thread count, and a format that stores rows in another order (HF's q/k)
 * still holds the same model.
 */
final class SyntheticWeights {
    private static final int CHUNK_BYTES = 8 << 20;

    private SyntheticWeights() {}

    /** Tensor index of a matrix, in GGUF writing order: embedding, 7 per layer (q k v o gate up down), output. */
    static int matrixIndex(int layer, int matrix) {
        return 1 + 7 * layer + matrix;
    }

    static int outputIndex(int layers) {
        return 1 + 7 * layers;
    }

    /**
     * Writes {@code rows} rows of {@code cols} values encoded as {@code type}; stored row {@code r} holds
     * generated row {@code sourceRow(r)}.
     */
    static void writeRows(WeightType type, int cols, int rows, long seed, int tensorIndex, IntUnaryOperator sourceRow,
                          WritableByteChannel out) throws IOException {
        int rowBytes = (int) type.byteSize(cols);
        int rowsPerChunk = Math.max(1, CHUNK_BYTES / rowBytes);
        float scale = (float) Math.sqrt(3.0 / cols); // uniform [-a, a] has std a / sqrt(3)
        ByteBuffer chunk = ByteBuffer.allocate(rowsPerChunk * rowBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int first = 0; first < rows; first += rowsPerChunk) {
            int count = Math.min(rowsPerChunk, rows - first);
            int base = first;
            IntStream.range(0, count).parallel().forEach(i -> {
                float[] row = new float[cols];
                SplittableRandom rnd = new SplittableRandom(mix(seed, tensorIndex, sourceRow.applyAsInt(base + i)));
                for (int c = 0; c < cols; c++) {
                    row[c] = (float) (rnd.nextDouble() * 2 - 1) * scale;
                }
                Quantizer.encode(type, row, 0, cols, chunk.slice(i * rowBytes, rowBytes).order(ByteOrder.LITTLE_ENDIAN));
            });
            writeFully(out, chunk.slice(0, count * rowBytes));
        }
    }

    static void writeFully(WritableByteChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }

    private static long mix(long seed, int tensor, int row) {
        long z = seed * 0x9E3779B97F4A7C15L + tensor * 0xBF58476D1CE4E5B9L + row * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 31);
    }
}
