package dev.baremetalrt.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of the cluster for {@code GET /v1/cluster} and {@code brt cluster status}: the members
 * (oldest first, the first one plans) with their inventories (measured speed included) and throughput
 * (positions through their stages: in total and per second over the last 10 s, time busy, busy refusals),
 * and each model's published plan with its epoch, the readiness of every stage (with the layers loaded so far
 * while it loads) and the nodes refused and why.
 */
public final class ClusterStatus {
    private ClusterStatus() {}

    public static JsonObject snapshot(ClusterNode node) {
        List<String> members = node.members();
        Map<String, String> inventories = node.map(NodeAgent.INVENTORY);
        Map<String, String> ready = node.map(NodeAgent.READY);
        Map<String, String> stats = node.map(NodeAgent.STATS);
        Map<String, String> progress = node.map(NodeAgent.PROGRESS);
        JsonArray memberList = new JsonArray();
        for (int i = 0; i < members.size(); i++) {
            String id = members.get(i);
            String inventory = inventories.get(id);
            String throughput = stats.get(id);
            memberList.add(new JsonObject().put("nodeId", id).put("coordinator", i == 0).put("self", id.equals(node.nodeId()))
                    .put("inventory", inventory == null ? null : new JsonObject(inventory))
                    .put("throughput", throughput == null ? null : new JsonObject(throughput)));
        }
        JsonArray plans = new JsonArray();
        for (String json : node.map(NodeAgent.PLANS).values()) {
            JsonObject plan = new JsonObject(json);
            if (plan.containsKey("stages")) {
                for (Object o : plan.getJsonArray("stages")) {
                    JsonObject stage = (JsonObject) o;
                    String key = NodeAgent.readyKey(plan.getString("modelId"), plan.getLong("epoch"), stage.getInteger("index"));
                    stage.put("ready", ready.containsKey(key));
                    String loading = progress.get(key);
                    if (!ready.containsKey(key) && loading != null) { // layers loaded so far, while a large range comes in
                        stage.put("progress", new JsonObject(loading));
                    }
                }
            }
            plans.add(plan);
        }
        return new JsonObject().put("cluster", node.clusterName()).put("self", node.nodeId()).put("members", memberList).put("plans", plans);
    }
}
