package dev.baremetalrt.cluster;

import dev.baremetalrt.spi.DType;
import dev.baremetalrt.spi.TensorPayload;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * How hidden states travel between stages. {@code F32} keeps a split model bit-identical to one process;
 * {@code F16} and {@code BF16} halve the bytes per hop and round like those types; {@code Q8_0} is for slow
 * links: blocks of 32 values as one F16 scale ({@code max|x| / 127}) plus 32 signed bytes, 34 bytes per 32
 * values (0.27 of F32), with a relative error per block of at most about 1/254 of the block's largest value.
 * A last block shorter than 32 values carries only the values it has. Logits always travel as F32.
 */
public enum WireFormat {
    F32,
    F16,
    BF16,
    Q8_0;

    static final int Q8_BLOCK = 32;

    /** Bytes that {@code count} values take on the wire. */
    public long bytesFor(long count) {
        return switch (this) {
            case F32 -> count * 4;
            case F16, BF16 -> count * 2;
            case Q8_0 -> count + 2 * ((count + Q8_BLOCK - 1) / Q8_BLOCK);
        };
    }

    /** Parses {@code f32}, {@code f16}, {@code bf16} or {@code q8_0} (any case), naming the choices when it is none. */
    public static WireFormat parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown wire format '%s': use f32, f16, bf16 or q8_0".formatted(name));
        }
    }

    /** The values of {@code tensor} in this format, little-endian. */
    byte[] encode(TensorPayload tensor) {
        if (this != Q8_0) {
            return tensor.encode(DType.valueOf(name()));
        }
        float[] values = tensor.toFloatArray();
        byte[] out = new byte[Math.toIntExact(bytesFor(values.length))];
        int at = 0;
        for (int start = 0; start < values.length; start += Q8_BLOCK) {
            int end = Math.min(values.length, start + Q8_BLOCK);
            float max = 0;
            for (int i = start; i < end; i++) {
                max = Math.max(max, Math.abs(values[i]));
            }
            short scaleBits = Float.floatToFloat16(max / 127f);
            float scale = Float.float16ToFloat(scaleBits); // quantize against the scale the reader will see
            float inverse = scale == 0 ? 0 : 1 / scale;
            out[at++] = (byte) scaleBits; // little-endian
            out[at++] = (byte) (scaleBits >> 8);
            for (int i = start; i < end; i++) {
                // |v * inverse| <= 127 up to the f16 rounding of the scale: clamp, then round half away from zero
                float q = Math.max(-127f, Math.min(127f, values[i] * inverse));
                out[at++] = (byte) (int) (q + Math.copySign(0.5f, q));
            }
        }
        return out;
    }

    /** Reads what {@link #encode} wrote for a tensor of {@code shape}. */
    TensorPayload decode(int[] shape, byte[] data) {
        if (this != Q8_0) {
            return TensorPayload.decode(DType.valueOf(name()), shape, data);
        }
        int count = 1;
        for (int d : shape) {
            count = Math.multiplyExact(count, d);
        }
        if (data.length != bytesFor(count)) {
            throw new IllegalArgumentException("%d bytes is not %d values in Q8_0".formatted(data.length, count));
        }
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[count];
        for (int start = 0; start < count; start += Q8_BLOCK) {
            int end = Math.min(count, start + Q8_BLOCK);
            float scale = Float.float16ToFloat(in.getShort());
            for (int i = start; i < end; i++) {
                values[i] = in.get() * scale;
            }
        }
        return TensorPayload.ofFloats(values, shape);
    }
}
