package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

/**
 * What a shard must hold.
 *
 * @param weights         the model's weights (owned by the caller)
 * @param layers          decoder layers to run
 * @param embedding       whether the shard embeds token ids (first stage)
 * @param head            whether the shard applies the final norm and output head (last stage)
 * @param contextCapacity most positions one session may hold in this shard's KV cache
 */
public record ShardSpec(WeightSource weights, LayerRange layers, boolean embedding, boolean head, int contextCapacity) {
    public ShardSpec {
        requireNonNull(weights, "weights is null");
        requireNonNull(layers, "layers is null");
        if (layers.end() > weights.config().layerCount()) {
            throw new IllegalArgumentException("%s is outside model %s with %d layers"
                    .formatted(layers, weights.modelId(), weights.config().layerCount()));
        }
        if (contextCapacity <= 0) {
            throw new IllegalArgumentException("contextCapacity must be positive, got " + contextCapacity);
        }
    }

    /** For logs and errors: {@code model stories260K layers [0, 3) +embedding}. */
    public String describe() {
        return "model %s %s%s%s".formatted(weights.modelId(), layers, embedding ? " +embedding" : "", head ? " +head" : "");
    }
}
