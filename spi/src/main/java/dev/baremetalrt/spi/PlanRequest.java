package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Input of a {@link ShardPlanner}.
 *
 * @param modelId        the model
 * @param epoch          epoch the new plan gets
 * @param layerCount     decoder layers
 * @param bytesPerLayer  memory one layer needs on a node (weights plus its share of KV cache)
 * @param embeddingBytes extra memory of the first stage (token embedding)
 * @param headBytes      extra memory of the last stage (final norm and output head)
 * @param nodes          candidate nodes in pipeline order
 */
public record PlanRequest(String modelId, long epoch, int layerCount, long bytesPerLayer, long embeddingBytes, long headBytes, List<NodeCapacity> nodes) {
    public PlanRequest {
        requireNonNull(modelId, "modelId is null");
        nodes = List.copyOf(requireNonNull(nodes, "nodes is null"));
        if (layerCount <= 0 || bytesPerLayer < 0 || embeddingBytes < 0 || headBytes < 0 || epoch < 0) {
            throw new IllegalArgumentException("plan request for model %s: counts and sizes must be non-negative, layerCount positive".formatted(modelId));
        }
    }
}
