package dev.baremetalrt.cluster;

import dev.baremetalrt.core.engine.CapacityShardPlanner;
import dev.baremetalrt.spi.NodeCapacity;
import dev.baremetalrt.spi.PlanRequest;
import dev.baremetalrt.spi.ShardPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the oldest member decides for one model: which checksum is the model (the one most nodes hold; a
 * tie goes to the oldest node's), which nodes are refused and why, and the plan over the others (one
 * stage per node, core's planner: spans by measured speed ({@link #relativeSpeed}), capped by what each
 * node's free memory holds). Pure:
 * tested without a cluster. A model that fits nowhere is the planner's {@code PlanException}, naming the
 * shortfall. A node whose backend runs whole models ({@link NodeInventory#wholeModel()}) takes the whole model as
 * one stage when it holds it, ahead of any split over layer-range nodes.
 */
final class Coordinator {
    /** A decision: the plan (null when no node can serve) and the refused nodes with their reasons. */
    record Decision(String modelId, String checksum, ShardPlan plan, Map<String, String> refused, boolean wholeModel) {
        Decision(String modelId, String checksum, ShardPlan plan, Map<String, String> refused) {
            this(modelId, checksum, plan, refused, false);
        }
    }

    private Coordinator() {}

    /** @param inventories the members' inventories, oldest member first */
    static Decision decide(String modelId, List<NodeInventory> inventories, long epoch) {
        return decide(modelId, inventories, Map.of(), epoch);
    }

    /**
     * @param inventories the members' inventories, oldest member first
     * @param unreachable members the coordinator could not reach over the event bus, with the reason; they
     *                    are refused (a plan through them would fail at its first step)
     */
    static Decision decide(String modelId, List<NodeInventory> inventories, Map<String, String> unreachable, long epoch) {
        Map<String, Integer> votes = new LinkedHashMap<>();
        Map<String, NodeInventory.ModelOffer> offers = new HashMap<>();
        List<NodeInventory> holders = new ArrayList<>();
        for (NodeInventory inventory : inventories) {
            for (NodeInventory.ModelOffer offer : inventory.models()) {
                if (offer.modelId().equals(modelId)) {
                    votes.merge(offer.checksum(), 1, Integer::sum);
                    offers.put(inventory.nodeId(), offer);
                    holders.add(inventory);
                }
            }
        }
        if (holders.isEmpty()) {
            return new Decision(modelId, null, null, Map.of());
        }
        // max keeps the first of equal counts: LinkedHashMap order is the oldest holder's checksum first
        String checksum = votes.entrySet().stream().max(Comparator.comparingInt(Map.Entry::getValue)).orElseThrow().getKey();
        Map<String, String> refused = new LinkedHashMap<>();
        List<NodeCapacity> nodes = new ArrayList<>();
        List<NodeInventory> wholeModelNodes = new ArrayList<>();
        NodeInventory.ModelOffer agreed = null;
        double fastest = holders.stream().mapToDouble(n -> offers.get(n.nodeId()).layersPerSecond()).max().orElse(0);
        for (NodeInventory node : holders) {
            NodeInventory.ModelOffer offer = offers.get(node.nodeId());
            if (!offer.checksum().equals(checksum)) {
                refused.put(node.nodeId(), "its copy of %s (%s) has checksum %s, but the cluster's model has %s; it gets no shard"
                        .formatted(modelId, offer.path(), shortened(offer.checksum()), shortened(checksum)));
                continue;
            }
            agreed = offer;
            String why = unreachable.get(node.nodeId());
            if (why != null) {
                refused.put(node.nodeId(), "it cannot be reached over the cluster's event bus (%s); it gets no shard".formatted(why));
                continue;
            }
            if (node.wholeModel()) {
                wholeModelNodes.add(node);
                continue;
            }
            nodes.add(new NodeCapacity(node.nodeId(), node.backend(), Math.max(1, node.freeMemoryBytes()), relativeSpeed(offer.layersPerSecond(), fastest)));
        }
        if (!wholeModelNodes.isEmpty()) {
            // An engine that runs the whole model (TensorRT-LLM) takes it as one stage; it holds its own weights and
            // memory, so the planner's memory check does not apply. The oldest such node gets it; the rest wait.
            NodeInventory engine = wholeModelNodes.getFirst();
            for (NodeInventory node : holders) {
                if (!node.nodeId().equals(engine.nodeId()) && !refused.containsKey(node.nodeId())) {
                    refused.put(node.nodeId(), "%s runs whole on node %s's %s engine; it gets no shard".formatted(modelId, engine.nodeId(), engine.backend()));
                }
            }
            ShardPlan plan = new CapacityShardPlanner().plan(new PlanRequest(modelId, epoch, agreed.layerCount(), agreed.layerBytes(), agreed.headBytes(),
                    agreed.headBytes(), List.of(new NodeCapacity(engine.nodeId(), engine.backend(), Long.MAX_VALUE / 4, 1.0))));
            return new Decision(modelId, checksum, plan, refused, true);
        }
        if (nodes.isEmpty()) {
            throw new dev.baremetalrt.spi.PlanException("no node that holds %s can be reached: %s".formatted(modelId, refused));
        }
        if (nodes.size() > agreed.layerCount()) {
            nodes = nodes.subList(0, agreed.layerCount()); // at most one stage per layer; the oldest nodes get them
        }
        ShardPlan plan = new CapacityShardPlanner().plan(new PlanRequest(modelId, epoch, agreed.layerCount(), agreed.layerBytes(),
                agreed.headBytes(), agreed.headBytes(), nodes));
        return new Decision(modelId, checksum, plan, refused);
    }

    /**
     * A node's speed relative to the fastest holder, as the planner's weight: within 20% of the fastest
     * counts as equal (calibration on a busy machine varies about that much, and a plan should not move
     * layers over noise), below that in steps of 0.05. Nodes that did not calibrate count as the fastest.
     */
    static double relativeSpeed(double layersPerSecond, double fastest) {
        if (!(layersPerSecond > 0) || !(fastest > 0)) {
            return 1.0;
        }
        double relative = layersPerSecond / fastest;
        return relative >= 0.8 ? 1.0 : Math.max(0.05, Math.round(relative * 20) / 20.0);
    }

    /** Whether two plans put the same layers on the same nodes (epochs aside). */
    static boolean sameAssignment(ShardPlan a, ShardPlan b) {
        if (a == null || b == null || a.stages().size() != b.stages().size()) {
            return false;
        }
        for (int i = 0; i < a.stages().size(); i++) {
            ShardPlan.Stage x = a.stages().get(i);
            ShardPlan.Stage y = b.stages().get(i);
            if (!x.node().equals(y.node()) || !x.layers().equals(y.layers()) || !x.backend().equals(y.backend())) {
                return false;
            }
        }
        return true;
    }

    private static String shortened(String checksum) {
        return checksum.length() > 12 ? checksum.substring(0, 12) + "…" : checksum;
    }
}
