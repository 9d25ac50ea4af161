package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An activation tensor (hidden states or logits) travelling between stages: a shape and float values.
 * Immutable: {@link #ofFloats} takes ownership of the array it is given, and readers get copies or read
 * through {@link #get}/{@link #copyTo}. {@link #encode}/{@link #decode} give the raw little-endian wire
 * form in F32, F16 or BF16; the narrow types round to nearest even.
 */
public final class TensorPayload {
    private final int[] shape;
    private final float[] values;

    private TensorPayload(int[] shape, float[] values) {
        this.shape = shape;
        this.values = values;
    }

    /**
     * Wraps {@code values} (not copied: the caller must not change it afterwards).
     *
     * @throws IllegalArgumentException when the shape does not match the number of values
     */
    public static TensorPayload ofFloats(float[] values, int... shape) {
        requireNonNull(values, "values is null");
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (shape.length == 0 || n != values.length) {
            throw new IllegalArgumentException("shape %s does not hold %d values".formatted(Arrays.toString(shape), values.length));
        }
        return new TensorPayload(shape.clone(), values);
    }

    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code i}. */
    public int dim(int i) {
        return shape[i];
    }

    /** Number of elements. */
    public int size() {
        return values.length;
    }

    public float get(int index) {
        return values[index];
    }

    /** A copy of the values. */
    public float[] toFloatArray() {
        return values.clone();
    }

    /** Copies {@code length} values starting at {@code from} into {@code dst[dstOffset..]}. */
    public void copyTo(int from, float[] dst, int dstOffset, int length) {
        System.arraycopy(values, from, dst, dstOffset, length);
    }

    /** Raw little-endian bytes in {@code dtype}. */
    public byte[] encode(DType dtype) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> buf.asFloatBuffer().put(values);
            case F16 -> {
                for (float v : values) {
                    buf.putShort(Float.floatToFloat16(v));
                }
            }
            case BF16 -> {
                for (float v : values) {
                    buf.putShort(toBf16(v));
                }
            }
        }
        return buf.array();
    }

    /** Reads what {@link #encode} wrote. */
    public static TensorPayload decode(DType dtype, int[] shape, byte[] data) {
        requireNonNull(dtype, "dtype is null");
        requireNonNull(data, "data is null");
        if (data.length % dtype.bytes() != 0) {
            throw new IllegalArgumentException("%d bytes is not a whole number of %s values".formatted(data.length, dtype));
        }
        float[] values = new float[data.length / dtype.bytes()];
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> buf.asFloatBuffer().get(values);
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = Float.float16ToFloat(buf.getShort());
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16);
                }
            }
        }
        return ofFloats(values, shape);
    }

    private static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    @Override
    public String toString() {
        return "TensorPayload" + Arrays.toString(shape);
    }
}
