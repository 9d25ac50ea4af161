package dev.baremetalrt.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.NodeCapacity;
import dev.baremetalrt.spi.PlanException;
import dev.baremetalrt.spi.PlanRequest;
import dev.baremetalrt.spi.ShardPlan;
import java.util.List;
import org.junit.jupiter.api.Test;

class CapacityShardPlannerTest {
    private final CapacityShardPlanner planner = new CapacityShardPlanner();
    private static final long GB = 1L << 30;

    private ShardPlan plan(int layers, long perLayer, NodeCapacity... nodes) {
        return planner.plan(new PlanRequest("m", 1, layers, perLayer, 0, 0, List.of(nodes)));
    }

    @Test
    void equalNodesSplitEvenlyWithoutDivisibilityRules() {
        ShardPlan p = plan(5, GB, new NodeCapacity("a", "cpu", 100 * GB, 1), new NodeCapacity("b", "cpu", 100 * GB, 1));
        assertEquals(new LayerRange(0, 3), p.stages().get(0).layers());
        assertEquals(new LayerRange(3, 5), p.stages().get(1).layers());
        ShardPlan three = plan(80, GB, new NodeCapacity("a", "cpu", 100 * GB, 1), new NodeCapacity("b", "cpu", 100 * GB, 1), new NodeCapacity("c", "cpu", 100 * GB, 1));
        assertEquals(List.of(27, 27, 26), three.stages().stream().map(s -> s.layers().size()).toList());
    }

    @Test
    void fasterNodesGetMoreLayers() {
        ShardPlan p = plan(80, GB, new NodeCapacity("slow", "cpu", 100 * GB, 1), new NodeCapacity("fast", "cuda", 100 * GB, 3));
        assertEquals(20, p.stages().get(0).layers().size());
        assertEquals(60, p.stages().get(1).layers().size());
    }

    @Test
    void memoryCapsSpansAndTheRestGoesElsewhere() {
        ShardPlan p = plan(80, GB, new NodeCapacity("small", "cuda", 10 * GB, 10), new NodeCapacity("big", "cpu", 200 * GB, 1));
        assertEquals(10, p.stages().get(0).layers().size());
        assertEquals(70, p.stages().get(1).layers().size());
    }

    @Test
    void nodesWithoutRoomAreLeftOut() {
        ShardPlan p = plan(10, GB, new NodeCapacity("a", "cpu", 20 * GB, 1), new NodeCapacity("tiny", "cpu", GB / 2, 1), new NodeCapacity("c", "cpu", 20 * GB, 1));
        assertEquals(2, p.stages().size());
        assertTrue(p.stages().stream().noneMatch(s -> s.node().equals("tiny")));
    }

    @Test
    void notEnoughMemoryIsAClearError() {
        PlanException e = assertThrows(PlanException.class, () -> plan(80, GB, new NodeCapacity("a", "cpu", 10 * GB, 1)));
        assertTrue(e.getMessage().contains("80 layers"), e.getMessage());
        assertTrue(e.getMessage().contains("room for 10 layers"), e.getMessage());
    }
}
