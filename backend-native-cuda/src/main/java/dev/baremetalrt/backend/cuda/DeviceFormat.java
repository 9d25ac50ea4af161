package dev.baremetalrt.backend.cuda;

import dev.baremetalrt.spi.WeightType;

/**
 * How a weight type lives in device memory, with the kernel name suffix and format code of
 * {@code brt_kernels.cu}. Q8_0 and Q4_0 are repacked at load into a quant array followed by a scale array
 * (aligned 8-byte loads); the other types keep their GGUF bytes.
 */
enum DeviceFormat {
    F32(WeightType.F32, "f32", false),
    F16(WeightType.F16, "f16", false),
    BF16(WeightType.BF16, "bf16", false),
    Q8_0(WeightType.Q8_0, "q8_0", true),
    Q4_0(WeightType.Q4_0, "q4_0", true),
    Q4_K(WeightType.Q4_K, "q4_k", false),
    Q5_K(WeightType.Q5_K, "q5_k", false),
    Q6_K(WeightType.Q6_K, "q6_k", false),
    Q8_K(WeightType.Q8_K, "q8_k", false);

    final WeightType type;
    final String suffix;
    final boolean repacked;

    DeviceFormat(WeightType type, String suffix, boolean repacked) {
        this.type = type;
        this.suffix = suffix;
        this.repacked = repacked;
    }

    /** The code the kernels switch on (the {@code Format} enum of the .cu file). */
    int code() {
        return ordinal();
    }

    /** Whether rows of any length work (plain types); block types need rows that are multiples of their block. */
    boolean plain() {
        return !type.isQuantized();
    }

    static DeviceFormat of(WeightType type) {
        for (DeviceFormat f : values()) {
            if (f.type == type) {
                return f;
            }
        }
        throw new IllegalArgumentException("no device format for " + type);
    }

    /** Bytes of quants before the scales in a repacked tensor of {@code elements} values. */
    long quantBytes(long elements) {
        return switch (this) {
            case Q8_0 -> elements;
            case Q4_0 -> elements / 2;
            default -> throw new IllegalStateException(this + " is not repacked");
        };
    }
}
