package dev.baremetalrt.core.synth;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.ModelConfig;
import java.util.List;
import java.util.Locale;

/**
 * A Llama model shape for the synthetic-model generator.
 *
 * @param name shape name, e.g. {@code tinyllama-1.1b}
 */
public record ModelShape(String name, int dim, int ffnDim, int layers, int heads, int kvHeads, int vocabSize, int contextLength, float ropeTheta) {
    /** A few hundred thousand parameters: unit tests. */
    public static final ModelShape TINY = new ModelShape("tiny", 128, 352, 4, 4, 2, 1024, 1024, 10000f);
    /** About 30M parameters: the demo. */
    public static final ModelShape SMALL = new ModelShape("small", 512, 1408, 8, 8, 4, 8192, 2048, 10000f);
    /** TinyLlama 1.1B: dim 2048, 22 layers, 32 heads, 4 KV heads, FFN 5632, vocab 32000. */
    public static final ModelShape TINYLLAMA_1_1B = new ModelShape("tinyllama-1.1b", 2048, 5632, 22, 32, 4, 32000, 2048, 10000f);
    /** Llama 2/3 70B per-layer shape (dim 8192, FFN 28672, 64 heads, 8 KV heads), Llama 2 vocabulary; use {@link #withLayers}. */
    public static final ModelShape LLAMA_70B = new ModelShape("llama-70b", 8192, 28672, 80, 64, 8, 32000, 4096, 10000f);

    public static final List<ModelShape> NAMED = List.of(TINY, SMALL, TINYLLAMA_1_1B, LLAMA_70B);

    public ModelShape {
        requireNonNull(name, "name is null");
        if (vocabSize < SyntheticVocabulary.MIN_SIZE) {
            throw new IllegalArgumentException("shape %s: vocabulary must hold at least %d tokens".formatted(name, SyntheticVocabulary.MIN_SIZE));
        }
        // Let ModelConfig check the rest (positive sizes, head divisibility).
        new ModelConfig("llama", dim, ffnDim, layers, heads, kvHeads, vocabSize, contextLength, 1e-5f, ropeTheta, dim / Math.max(1, heads));
    }

    /** The shape with a different layer count (e.g. a few layers of {@code llama-70b} for benchmarks). */
    public ModelShape withLayers(int layerCount) {
        return new ModelShape(name, dim, ffnDim, layerCount, heads, kvHeads, vocabSize, contextLength, ropeTheta);
    }

    /** A named shape, ignoring case. */
    public static ModelShape named(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        return NAMED.stream().filter(s -> s.name.equals(wanted)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "unknown shape '%s' (known: %s)".formatted(name, String.join(", ", NAMED.stream().map(ModelShape::name).toList()))));
    }

    public ModelConfig toConfig() {
        return new ModelConfig("llama", dim, ffnDim, layers, heads, kvHeads, vocabSize, contextLength, 1e-5f, ropeTheta, dim / heads);
    }

    /** Parameter count. */
    public long parameters() {
        long kvDim = (long) dim / heads * kvHeads;
        long perLayer = 2L * dim * dim + 2L * dim * kvDim + 3L * dim * ffnDim + 2L * dim;
        return perLayer * layers + 2L * dim * vocabSize + dim;
    }
}
