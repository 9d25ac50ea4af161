package dev.baremetalrt.core.model;

import dev.baremetalrt.core.gguf.GgufFile;
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
            return new ModelConfig(arch, dim, ffn, layers, heads, kvHeads, vocab, context, eps, theta, ropeDim);
        } catch (IllegalArgumentException e) {
            throw new ModelException("GGUF file %s: invalid hyperparameters: %s".formatted(gguf.path(), e.getMessage()));
        }
    }

    private static int required(GgufFile gguf, String key) {
        return gguf.integer(key).orElseThrow(() -> new ModelException("GGUF file %s has no metadata key %s".formatted(gguf.path(), key)));
    }
}
