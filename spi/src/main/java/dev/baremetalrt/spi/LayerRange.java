package dev.baremetalrt.spi;

/**
 * The decoder layers {@code [start, end)} of a model. Never empty.
 *
 * @param start first layer, inclusive
 * @param end   last layer, exclusive
 */
public record LayerRange(int start, int end) {
    public LayerRange {
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("invalid layer range [%d, %d): need 0 <= start < end".formatted(start, end));
        }
    }

    /** Number of layers in the range. */
    public int size() {
        return end - start;
    }

    /** Whether {@code layer} lies in the range. */
    public boolean contains(int layer) {
        return layer >= start && layer < end;
    }

    @Override
    public String toString() {
        return "layers [" + start + ", " + end + ")";
    }
}
