package dev.baremetalrt.core.gguf;

import dev.baremetalrt.spi.WeightType;
import java.util.Arrays;

/**
 * A tensor's entry in the file: name, shape (ggml order, {@code shape[0]} = row length), type, and the
 * absolute offset and size of its data in the file (both checked to lie inside the file).
 */
public record GgufTensorInfo(String name, long[] shape, WeightType type, long fileOffset, long byteSize) {
    public GgufTensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && t.name.equals(name) && Arrays.equals(t.shape, shape) && t.type == type
                && t.fileOffset == fileOffset && t.byteSize == byteSize;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Long.hashCode(fileOffset);
    }
}
