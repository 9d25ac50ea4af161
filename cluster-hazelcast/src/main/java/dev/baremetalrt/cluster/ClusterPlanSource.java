package dev.baremetalrt.cluster;

import dev.baremetalrt.core.engine.PlanSource;
import dev.baremetalrt.spi.ShardPlan;
import java.time.Duration;

/** The cluster's next plan epoch of one model, for a {@link dev.baremetalrt.core.engine.Pipeline} that lost a stage. */
public final class ClusterPlanSource implements PlanSource {
    private final ClusterNode node;
    private final String modelId;

    public ClusterPlanSource(ClusterNode node, String modelId) {
        this.node = node;
        this.modelId = modelId;
    }

    @Override
    public ShardPlan awaitNewer(long epoch, Duration timeout) {
        return ClusterPlans.awaitReady(node, modelId, epoch, timeout);
    }

    @Override
    public java.util.Optional<String> unavailable() {
        return ClusterPlans.unavailable(node, modelId);
    }
}
