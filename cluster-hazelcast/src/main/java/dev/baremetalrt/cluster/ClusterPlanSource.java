package dev.baremetalrt.cluster;

import dev.baremetalrt.core.engine.PlanSource;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.TransportException;
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
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TransportException("model %s: no plan after epoch %d in cluster %s within %s".formatted(modelId, epoch, node.clusterName(), timeout));
            }
            ShardPlan plan = ClusterPlans.awaitReady(node, modelId, Duration.ofNanos(left));
            if (plan.epoch() > epoch) {
                return plan;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TransportException("interrupted waiting for a new plan of " + modelId);
            }
        }
    }
}
