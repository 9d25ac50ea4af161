package dev.baremetalrt.cluster;

import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.TransportException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;

/** Reading the cluster's published plans: what a serving node waits on before it runs a model. */
public final class ClusterPlans {
    private ClusterPlans() {}

    /**
     * The current plan of {@code modelId} once every stage of its epoch reports ready.
     *
     * @throws TransportException when none is ready within {@code timeout}, saying what is missing
     */
    public static ShardPlan awaitReady(ClusterNode node, String modelId, Duration timeout) {
        return awaitReady(node, modelId, 0, timeout);
    }

    /**
     * The plan of {@code modelId} of an epoch later than {@code afterEpoch}, once every stage of it reports
     * ready: what a pipeline that lost a stage waits for.
     *
     * @throws TransportException when none is ready within {@code timeout}, or when the model cannot run
     *                            on the nodes left, saying why
     */
    public static ShardPlan awaitReady(ClusterNode node, String modelId, long afterEpoch, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String missing = "no plan yet (does any node offer " + modelId + "?)";
        while (System.nanoTime() < deadline) {
            String json = node.map(NodeAgent.PLANS).get(modelId);
            if (json != null && !new JsonObject(json).containsKey("stages")) {
                throw new TransportException("model %s cannot run in cluster %s: %s".formatted(modelId, node.clusterName(), new JsonObject(json).getString("error")));
            }
            ShardPlan plan = json == null ? null : PlanCodec.plan(new JsonObject(json));
            if (plan != null && plan.epoch() <= afterEpoch) {
                missing = "no plan after epoch %d yet".formatted(afterEpoch);
            } else if (plan != null) {
                Map<String, String> ready = node.map(NodeAgent.READY);
                missing = null;
                for (ShardPlan.Stage stage : plan.stages()) {
                    if (ready.get(NodeAgent.readyKey(modelId, plan.epoch(), stage.index())) == null) {
                        missing = "%s of epoch %d is not loaded yet on node %s".formatted(stage.describe(), plan.epoch(), stage.node());
                        break;
                    }
                }
                if (missing == null) {
                    return plan;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TransportException("interrupted waiting for a plan of " + modelId);
            }
        }
        throw new TransportException("model %s is not ready in cluster %s after %s: %s".formatted(modelId, node.clusterName(), timeout, missing));
    }

    /** Why the cluster cannot run {@code modelId} now (its coordinator published an error instead of a plan), or empty. */
    public static java.util.Optional<String> unavailable(ClusterNode node, String modelId) {
        String json = node.map(NodeAgent.PLANS).get(modelId);
        if (json == null) {
            return java.util.Optional.of("no node of cluster %s offers %s now".formatted(node.clusterName(), modelId));
        }
        JsonObject plan = new JsonObject(json);
        return plan.containsKey("stages") ? java.util.Optional.empty()
                : java.util.Optional.of("model %s cannot run in cluster %s now: %s".formatted(modelId, node.clusterName(), plan.getString("error")));
    }

    /** The published plan JSON of a model (epoch, stages, refused nodes and why), or null. */
    public static String describe(ClusterNode node, String modelId) {
        return node.map(NodeAgent.PLANS).get(modelId);
    }
}
