package dev.baremetalrt.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.spi.ShardPlan;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The oldest member's decisions, without a cluster. */
class CoordinatorTest {
    private static NodeInventory node(String id, long memory, String checksum) {
        return node(id, memory, checksum, 100);
    }

    private static NodeInventory node(String id, long memory, String checksum, double layersPerSecond) {
        return new NodeInventory(id, "cpu", "2 threads", List.of("cpu: amd64"), memory,
                List.of(new NodeInventory.ModelOffer("m", "/models/m.gguf", checksum, 8, 1L << 30, 1L << 29, layersPerSecond)));
    }

    private static NodeInventory engine(String id, String checksum) {
        return new NodeInventory(id, "tensorrt-llm", "test", List.of(), 1, // whole-model engines hold their own memory
                List.of(new NodeInventory.ModelOffer("m", "/models/m", checksum, 8, 1L << 30, 1L << 29, 0)), true);
    }

    @Test
    void aWholeModelEngineTakesTheWholeModelAsOneStageAndTheOthersWait() {
        var d = Coordinator.decide("m", List.of(node("cpu-1", 64L << 30, "x"), engine("trt", "x"), node("cpu-2", 64L << 30, "x")), 4);
        assertTrue(d.wholeModel());
        assertEquals(1, d.plan().stages().size(), d.plan().describe());
        ShardPlan.Stage only = d.plan().stages().getFirst();
        assertEquals("trt", only.node());
        assertEquals(8, only.layers().size());
        assertTrue(only.embedding() && only.head());
        assertTrue(d.refused().get("cpu-1").contains("runs whole on node trt's tensorrt-llm engine"), d.refused().toString());
        assertTrue(d.refused().containsKey("cpu-2"));
    }

    @Test
    void aWholeModelEngineWithAnotherCopyIsRefusedAndTheLayerNodesSplitTheModel() {
        var d = Coordinator.decide("m", List.of(node("cpu-1", 64L << 30, "x"), engine("trt", "y"), node("cpu-2", 64L << 30, "x")), 4);
        assertFalse(d.wholeModel());
        assertEquals(List.of("cpu-1", "cpu-2"), d.plan().stages().stream().map(ShardPlan.Stage::node).toList());
        assertTrue(d.refused().get("trt").contains("checksum"), d.refused().toString());
    }

    @Test
    void aNodeThreeTimesAsFastGetsAboutThreeTimesTheLayers() {
        var d = Coordinator.decide("m", List.of(node("slow", 64L << 30, "x", 100), node("fast", 64L << 30, "x", 300)), 1);
        assertEquals(List.of(2, 6), d.plan().stages().stream().map(s -> s.layers().size()).toList(), d.plan().describe());
    }

    @Test
    void speedsWithinTwentyPercentCountAsEqualSoNoiseDoesNotMoveLayers() {
        var d = Coordinator.decide("m", List.of(node("a", 64L << 30, "x", 85), node("b", 64L << 30, "x", 100)), 1);
        assertEquals(List.of(4, 4), d.plan().stages().stream().map(s -> s.layers().size()).toList(), d.plan().describe());
        assertEquals(1.0, Coordinator.relativeSpeed(0, 100), "a node that did not calibrate counts as the fastest");
        assertEquals(0.5, Coordinator.relativeSpeed(51, 100));
        assertEquals(0.05, Coordinator.relativeSpeed(0.001, 100), "never zero: the planner needs a positive speed");
    }

    @Test
    void theMajorityChecksumIsTheModelAndTheOthersAreRefusedWithTheReason() {
        var d = Coordinator.decide("m", List.of(node("old", 8L << 30, "bbbb"), node("n2", 8L << 30, "aaaa"), node("n3", 8L << 30, "aaaa")), 3);
        assertEquals("aaaa", d.checksum());
        assertEquals(List.of("n2", "n3"), d.plan().stages().stream().map(ShardPlan.Stage::node).toList());
        assertEquals(3, d.plan().epoch());
        assertTrue(d.refused().get("old").contains("checksum bbbb") && d.refused().get("old").contains("gets no shard"), d.refused().toString());
    }

    @Test
    void aTieGoesToTheOldestNodesCopy() {
        var d = Coordinator.decide("m", List.of(node("old", 64L << 30, "bbbb"), node("young", 64L << 30, "aaaa")), 1);
        assertEquals("bbbb", d.checksum());
        assertEquals(List.of("old"), d.plan().stages().stream().map(ShardPlan.Stage::node).toList());
    }

    @Test
    void aNodeTakesNoMoreLayersThanItsMemoryHolds() {
        // layers of 1 GiB, head 0.5 GiB: the small node holds 2 layers next to the head
        var d = Coordinator.decide("m", List.of(node("big", 24L << 30, "x"), node("small", (5L << 29), "x")), 1);
        ShardPlan plan = d.plan();
        assertEquals(0, plan.first().layers().start());
        assertEquals(8, plan.last().layers().end());
        assertEquals(2, plan.last().layers().size(), plan.describe());
        assertTrue(plan.first().embedding() && plan.last().head());
    }

    @Test
    void notEnoughMemoryIsAClearErrorNamingTheShortfall() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.baremetalrt.spi.PlanException.class,
                () -> Coordinator.decide("m", List.of(node("a", 2L << 30, "x"), node("b", 2L << 30, "x")), 1));
        assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
    }

    @Test
    void moreNodesThanLayersUseTheOldestOnes() {
        List<NodeInventory> many = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            many.add(node("n" + i, 64L << 30, "x"));
        }
        assertEquals(8, Coordinator.decide("m", many, 1).plan().stages().size());
    }

    @Test
    void inventoriesRoundTripThroughJson() {
        NodeInventory inventory = node("a", 7L << 30, "abc");
        assertEquals(inventory, NodeInventory.fromJson(new io.vertx.core.json.JsonObject(inventory.toJson().encode())));
    }

    @Test
    void nobodyOffersTheModel() {
        var d = Coordinator.decide("other", List.of(node("a", 1, "x")), 1);
        assertNull(d.plan());
        assertTrue(d.refused().isEmpty());
    }

    @Test
    void sameAssignmentIgnoresTheEpoch() {
        List<NodeInventory> nodes = List.of(node("a", 64L << 30, "x"), node("b", 64L << 30, "x"));
        ShardPlan one = Coordinator.decide("m", nodes, 1).plan();
        assertTrue(Coordinator.sameAssignment(one, Coordinator.decide("m", nodes, 2).plan()));
        assertFalse(Coordinator.sameAssignment(one, Coordinator.decide("m", nodes.subList(0, 1), 2).plan()));
        assertFalse(Coordinator.sameAssignment(null, one));
    }
}
