package dev.baremetalrt.cluster;

import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.ShardPlan;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Plans and inventories as JSON in the cluster's maps (readable in {@code brt cluster status} and logs). */
final class PlanCodec {
    private PlanCodec() {}

    static JsonObject toJson(ShardPlan plan, String checksum) {
        JsonArray stages = new JsonArray();
        for (ShardPlan.Stage s : plan.stages()) {
            stages.add(new JsonObject().put("index", s.index()).put("node", s.node()).put("backend", s.backend())
                    .put("start", s.layers().start()).put("end", s.layers().end()).put("embedding", s.embedding()).put("head", s.head()));
        }
        return new JsonObject().put("modelId", plan.modelId()).put("epoch", plan.epoch()).put("layerCount", plan.layerCount())
                .put("checksum", checksum).put("stages", stages);
    }

    static ShardPlan plan(JsonObject json) {
        String modelId = json.getString("modelId");
        List<ShardPlan.Stage> stages = new ArrayList<>();
        for (Object o : json.getJsonArray("stages")) {
            JsonObject s = (JsonObject) o;
            stages.add(new ShardPlan.Stage(modelId, s.getInteger("index"), s.getString("node"), s.getString("backend"),
                    new LayerRange(s.getInteger("start"), s.getInteger("end")), s.getBoolean("embedding"), s.getBoolean("head")));
        }
        return new ShardPlan(modelId, json.getLong("epoch"), json.getInteger("layerCount"), stages);
    }
}
