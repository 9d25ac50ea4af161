package dev.baremetalrt.spi;

/**
 * Makes a {@link ShardPlan} from a model's per-layer cost and the nodes' capacity: uneven contiguous
 * spans, any number of nodes, no divisibility rules. Nodes that get no layers are left out of the plan.
 */
@FunctionalInterface
public interface ShardPlanner {
    /**
     * @throws PlanException when the nodes together cannot hold the model; the message gives the sizes
     */
    ShardPlan plan(PlanRequest request);
}
