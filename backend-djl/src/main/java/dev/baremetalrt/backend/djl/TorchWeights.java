package dev.baremetalrt.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.baremetalrt.spi.WeightTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Turns stored weight tensors into float32 NDArrays of shape {@code [rows, columns]} on the shard's device.
 * F32 and F16 go to libtorch as they are stored and libtorch converts them; BF16 and the block-quantized
 * types are widened by {@link BlockDecoder} (DJL 0.35.1 aborts the JVM when handed a BF16 buffer). Large tensors travel in chunks of rows so that no Java buffer passes
 * {@link #CHUNK_BYTES}.
 */
final class TorchWeights {
    private static final long CHUNK_BYTES = 256L << 20;

    private TorchWeights() {}

    /** The tensor as float32 {@code [rows, columns]}, attached to {@code target}. */
    static NDArray load(NDManager target, WeightTensor t) {
        long rows = t.rows();
        long columns = t.columns();
        long rowsPerChunk = Math.max(1, Math.min(rows, CHUNK_BYTES / (4 * columns)));
        try (NDManager scratch = target.newSubManager()) {
            NDList chunks = new NDList();
            for (long first = 0; first < rows; first += rowsPerChunk) {
                chunks.add(chunk(scratch, t, first, Math.min(rowsPerChunk, rows - first)));
            }
            NDArray whole = chunks.size() == 1 ? chunks.get(0) : NDArrays.concat(chunks, 0);
            whole.attach(target);
            return whole;
        }
    }

    private static NDArray chunk(NDManager scratch, WeightTensor t, long firstRow, long rows) {
        long columns = t.columns();
        Shape shape = new Shape(rows, columns);
        return switch (t.type()) {
            case F32 -> stored(scratch, t, firstRow, rows, DataType.FLOAT32);
            case F16 -> stored(scratch, t, firstRow, rows, DataType.FLOAT16).toType(DataType.FLOAT32, true);
            default -> {
                float[] values = new float[Math.toIntExact(rows * columns)];
                BlockDecoder.decode(t, firstRow * columns, values);
                yield scratch.create(values, shape);
            }
        };
    }

    /** The stored bytes of some rows, as a libtorch tensor of their own type (copied off the mapped file first). */
    private static NDArray stored(NDManager scratch, WeightTensor t, long firstRow, long rows, DataType type) {
        long bytes = rows * t.columns() * type.getNumOfBytes();
        MemorySegment slice = t.data().asSlice(firstRow * t.columns() * type.getNumOfBytes(), bytes);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copy = arena.allocate(bytes, 64).copyFrom(slice);
            NDArray raw = scratch.create(copy.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN), new Shape(rows, t.columns()), type);
            NDArray owned = raw.duplicate(); // libtorch may alias the buffer it was given; the arena goes away
            raw.close();
            return owned;
        }
    }
}
