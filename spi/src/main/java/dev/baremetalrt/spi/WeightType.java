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
    /**
     * K-quant super-blocks of 256: {f16 d; f16 dmin; 12 bytes of 6-bit scales and mins for eight sub-blocks
     * of 32; 128 bytes of 4-bit values}. Element = d*scale*q - dmin*min.
     */
    Q4_K(12, 256, 144),
    /** As {@link #Q4_K} plus 32 bytes holding the fifth bit of each value: {d; dmin; scales[12]; qh[32]; qs[128]}. */
    Q5_K(13, 256, 176),
    /**
     * Super-blocks of 256: {ql[128] low 4 bits; qh[64] high 2 bits; 16 signed 8-bit scales of sub-blocks of
     * 16; f16 d}. Element = d*scale*(q - 32).
     */
    Q6_K(14, 256, 210),
    /** Super-blocks of 256: {f32 d; 256 signed bytes; 16 int16 block sums (unused for decoding)}. */
    Q8_K(15, 256, 292),
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
        throw new IllegalArgumentException("unknown weight type '%s' (known: %s)".formatted(name, java.util.Arrays.toString(values())));
    }
}
