package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

/**
 * What one node (or device) offers a planner.
 *
 * @param node            node name
 * @param backend         backend id it would run the layers with
 * @param freeMemoryBytes memory available for weights and KV cache
 * @param layersPerSecond measured speed: decoder layers per second for one decode step (relative
 *                        values are enough; must be positive)
 */
public record NodeCapacity(String node, String backend, long freeMemoryBytes, double layersPerSecond) {
    public NodeCapacity {
        requireNonNull(node, "node is null");
        requireNonNull(backend, "backend is null");
        if (freeMemoryBytes < 0) {
            throw new IllegalArgumentException("node %s: free memory must be >= 0".formatted(node));
        }
        if (!(layersPerSecond > 0)) {
            throw new IllegalArgumentException("node %s: layersPerSecond must be positive, got %s".formatted(node, layersPerSecond));
        }
    }
}
