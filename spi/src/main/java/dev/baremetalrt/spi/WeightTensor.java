package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One weight tensor as stored: type, shape ({@code shape[0]} = row length, ggml order) and the raw
 * bytes, usually a slice of a memory-mapped file. The segment is read-only and stays valid while the
 * {@link WeightSource} it came from is open.
 */
public record WeightTensor(String name, WeightType type, long[] shape, MemorySegment data) {
    public WeightTensor {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
        requireNonNull(data, "data is null");
        shape = shape.clone();
        long elements = 1;
        for (long d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("tensor %s has a non-positive dimension in %s".formatted(name, Arrays.toString(shape)));
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (shape.length == 0 || shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor %s: row length must be a multiple of %d for %s".formatted(name, type.blockSize(), type));
        }
        if (data.byteSize() != type.byteSize(elements)) {
            throw new IllegalArgumentException("tensor %s: %d bytes of data, %s %s needs %d"
                    .formatted(name, data.byteSize(), type, Arrays.toString(shape), type.byteSize(elements)));
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Row length ({@code shape[0]}). */
    public long columns() {
        return shape[0];
    }

    /** Number of rows (product of the other dimensions). */
    public long rows() {
        long rows = 1;
        for (int i = 1; i < shape.length; i++) {
            rows *= shape[i];
        }
        return rows;
    }

    /** Number of elements. */
    public long elementCount() {
        return columns() * rows();
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WeightTensor t && t.name.equals(name) && t.type == type
                && Arrays.equals(t.shape, shape) && t.data.equals(data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }
}
