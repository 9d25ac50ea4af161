package dev.baremetalrt.core.model;

import dev.baremetalrt.core.gguf.GgufFile;
import dev.baremetalrt.core.gguf.GgufTensorInfo;
import dev.baremetalrt.spi.RopeScaling;
import dev.baremetalrt.spi.WeightType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.TensorNames;
import java.util.Set;

/**
 * Reads Llama-family hyperparameters from GGUF metadata ({@code {arch}.embedding_length} and friends).
 * Keys that older converters omit get llama.cpp's defaults: {@code rope.freq_base} 10000, RMSNorm
 * epsilon 1e-5, {@code head_count_kv} = {@code head_count}, rope dimension = head size, context 2048;
 * the vocabulary size comes from {@code {arch}.vocab_size}, else the tokenizer, else the embedding.
 */
public final class ModelConfigs {
    /** Architectures whose GGUF tensors follow the Llama layout. */
    public static final Set<String> LLAMA_FAMILY = Set.of("llama", "mistral");

    private ModelConfigs() {}

    public static ModelConfig fromGguf(GgufFile gguf) {
        String arch = gguf.string("general.architecture")
                .orElseThrow(() -> new ModelException("GGUF file %s has no general.architecture".formatted(gguf.path())));
        if (!LLAMA_FAMILY.contains(arch)) {
            throw new ModelException("GGUF file %s: architecture '%s' is not supported (supported: %s)".formatted(gguf.path(), arch, LLAMA_FAMILY));
        }
        int dim = required(gguf, arch + ".embedding_length");
        int layers = required(gguf, arch + ".block_count");
        int ffn = required(gguf, arch + ".feed_forward_length");
        int heads = required(gguf, arch + ".attention.head_count");
        int kvHeads = gguf.integer(arch + ".attention.head_count_kv").orElse(heads);
        int context = gguf.integer(arch + ".context_length").orElse(2048);
        float eps = gguf.floating(arch + ".attention.layer_norm_rms_epsilon").orElse(1e-5f);
        float theta = gguf.floating(arch + ".rope.freq_base").orElse(10000f);
        if (heads <= 0 || dim % heads != 0) {
            throw new ModelException("GGUF file %s: embedding_length %d is not a multiple of head_count %d".formatted(gguf.path(), dim, heads));
        }
        int ropeDim = gguf.integer(arch + ".rope.dimension_count").orElse(dim / heads);
        int vocab = gguf.integer(arch + ".vocab_size")
                .or(() -> gguf.array("tokenizer.ggml.tokens", String[].class).map(t -> t.length))
                .or(() -> java.util.Optional.ofNullable(gguf.tensors().get(TensorNames.TOKEN_EMBEDDING)).map(t -> (int) t.shape()[1]))
                .orElseThrow(() -> new ModelException("GGUF file %s: cannot tell the vocabulary size".formatted(gguf.path())));
        try {
            return new ModelConfig(arch, dim, ffn, layers, heads, kvHeads, vocab, context, eps, theta, ropeDim, ropeScaling(gguf, arch, ropeDim));
        } catch (IllegalArgumentException e) {
            throw new ModelException("GGUF file %s: invalid hyperparameters: %s".formatted(gguf.path(), e.getMessage()));
        }
    }

    /**
     * RoPE scaling as llama.cpp stores it: divisors in a {@code rope_freqs.weight} tensor (Llama 3.1) and/or
     * {@code {arch}.rope.scaling.type} {@code linear} with {@code {arch}.rope.scaling.factor}; both multiply.
     * YaRN and other types are refused rather than run wrongly.
     */
    static RopeScaling ropeScaling(GgufFile gguf, String arch, int ropeDim) {
        String type = gguf.string(arch + ".rope.scaling.type").orElse("none");
        if (!type.equals("none") && !type.equals("linear")) {
            throw new ModelException("GGUF file %s: rope scaling type '%s' is not supported (supported: none, linear, rope_freqs)".formatted(gguf.path(), type));
        }
        float factor = type.equals("linear")
                ? gguf.floating(arch + ".rope.scaling.factor").or(() -> gguf.floating(arch + ".rope.scale_linear")).orElse(1f)
                : 1f;
        GgufTensorInfo freqs = gguf.tensors().get(TensorNames.ROPE_FREQS);
        if (freqs == null) {
            return factor == 1f ? RopeScaling.NONE : RopeScaling.linear(factor, ropeDim);
        }
        if (freqs.type() != WeightType.F32 || freqs.shape().length != 1 || freqs.shape()[0] != ropeDim / 2) {
            throw new ModelException("GGUF file %s: %s must be F32 with %d values, is %s %s".formatted(
                    gguf.path(), TensorNames.ROPE_FREQS, ropeDim / 2, freqs.type(), java.util.Arrays.toString(freqs.shape())));
        }
        MemorySegment data = gguf.tensorData(freqs);
        float[] divisors = new float[ropeDim / 2];
        for (int i = 0; i < divisors.length; i++) {
            divisors[i] = data.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i) * factor;
        }
        try {
            return RopeScaling.ofDivisors(TensorNames.ROPE_FREQS, divisors);
        } catch (IllegalArgumentException e) {
            throw new ModelException("GGUF file %s: %s: %s".formatted(gguf.path(), TensorNames.ROPE_FREQS, e.getMessage()));
        }
    }

    private static int required(GgufFile gguf, String key) {
        return gguf.integer(key).orElseThrow(() -> new ModelException("GGUF file %s has no metadata key %s".formatted(gguf.path(), key)));
    }
}
