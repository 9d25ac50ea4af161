package dev.baremetalrt.spi;

import java.util.Optional;

/**
 * How weights are stored, block by block, with GGUF's type ids. A tensor of {@code n} elements of a
 * block type takes {@code n / blockSize * bytesPerBlock} bytes; {@code n} must be a multiple of the
 * block size.
 */
public enum WeightType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** Blocks of 32: {f16 scale; 16 bytes of 4-bit values, low nibbles = elements 0..15, high = 16..31, offset 8}. */
    Q4_0(2, 32, 18),
    /** Blocks of 32: {f16 scale; 32 signed bytes}. */
    Q8_0(8, 32, 34),
    BF16(30, 1, 2);

    private final int ggmlTypeId;
    private final int blockSize;
    private final int bytesPerBlock;

    WeightType(int ggmlTypeId, int blockSize, int bytesPerBlock) {
        this.ggmlTypeId = ggmlTypeId;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    /** The type id GGUF files use for this type. */
    public int ggmlTypeId() {
        return ggmlTypeId;
    }

    /** Elements per block (1 for plain floating-point types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    /** Whether this is a block-quantized type. */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /**
     * Bytes taken by {@code elements} values.
     *
     * @throws IllegalArgumentException when {@code elements} is negative or not a multiple of the block size
     */
    public long byteSize(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    "%d elements cannot be stored as %s (blocks of %d)".formatted(elements, this, blockSize));
        }
        return Math.multiplyExact(elements / blockSize, (long) bytesPerBlock);
    }

    /** The type with the given GGUF id, if BareMetalRT knows it. */
    public static Optional<WeightType> fromGgmlTypeId(int id) {
        for (WeightType t : values()) {
            if (t.ggmlTypeId == id) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Parses a name such as {@code q8_0} or {@code F16}, ignoring case. */
    public static WeightType parse(String name) {
        for (WeightType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown weight type '%s' (known: F32, F16, BF16, Q8_0, Q4_0)".formatted(name));
    }
}
