package dev.baremetalrt.core.gguf;

import static java.util.Objects.requireNonNull;

import java.lang.reflect.Array;

/**
 * A metadata array. {@code values} is a primitive array: {@code int[]} for 8/16-bit and INT32 elements,
 * {@code long[]} for UINT32/INT64/UINT64, {@code float[]}, {@code double[]}, {@code boolean[]},
 * {@code String[]}, or {@code GgufArray[]} for nested arrays. Treat it as read-only.
 */
public record GgufArray(GgufValueType elementType, Object values) {
    public GgufArray {
        requireNonNull(elementType, "elementType is null");
        requireNonNull(values, "values is null");
    }

    public int length() {
        return Array.getLength(values);
    }

    @Override
    public String toString() {
        return elementType + "[" + length() + "]";
    }
}
