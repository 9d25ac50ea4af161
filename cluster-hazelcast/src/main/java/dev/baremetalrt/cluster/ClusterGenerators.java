package dev.baremetalrt.cluster;

import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.TokenGenerator;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * For a node serving a model from the cluster: the whole-model engine the model runs in now, when its published
 * plan puts it whole on such an engine (waiting, up to the timeout, while that engine loads); null when it runs as
 * layer stages (then the pipeline steps it). Asked at each generation, so a plan that moves between the two is
 * followed.
 */
public final class ClusterGenerators implements Supplier<TokenGenerator> {
    private final ClusterNode node;
    private final String modelId;
    private final Duration timeout;
    private volatile RemoteTokenGenerator current;

    public ClusterGenerators(ClusterNode node, String modelId, Duration timeout) {
        this.node = node;
        this.modelId = modelId;
        this.timeout = timeout;
    }

    @Override
    public TokenGenerator get() {
        String json = ClusterPlans.describe(node, modelId);
        if (json == null) {
            return null;
        }
        JsonObject plan = new JsonObject(json);
        if (!plan.getBoolean("wholeModel", false) || !plan.containsKey("stages")) {
            return null;
        }
        ShardPlan parsed = PlanCodec.plan(plan);
        ShardPlan.Stage stage = parsed.stages().getFirst();
        if (node.map(NodeAgent.READY).get(NodeAgent.readyKey(modelId, parsed.epoch(), stage.index())) == null) {
            parsed = ClusterPlans.awaitReady(node, modelId, parsed.epoch() - 1, timeout); // the engine is still loading: wait, or say why not
            stage = parsed.stages().getFirst();
        }
        RemoteTokenGenerator cached = current;
        if (cached == null || !StageAddress.of(cached.stage()).equals(StageAddress.of(stage))) {
            cached = new RemoteTokenGenerator(node, stage, timeout);
            current = cached;
        }
        return cached;
    }
}
