package dev.baremetalrt.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShardPlanTest {
    private static ShardPlan.Stage stage(int i, int start, int end, boolean embedding, boolean head) {
        return new ShardPlan.Stage("m", i, "node-" + i, "cpu", new LayerRange(start, end), embedding, head);
    }

    @Test
    void unevenContiguousSpansAreValid() {
        ShardPlan p = new ShardPlan("m", 3, 80, List.of(stage(0, 0, 7, true, false), stage(1, 7, 51, false, false), stage(2, 51, 80, false, true)));
        assertEquals(3, p.stages().size());
        assertTrue(p.describe().contains("layers [7, 51)"));
    }

    @Test
    void gapsOverlapsAndMissingCoverageAreRejected() {
        assertMessage("does not start at layer 3", () -> new ShardPlan("m", 0, 5, List.of(stage(0, 0, 3, true, false), stage(1, 4, 5, false, true))));
        assertMessage("does not start at layer 3", () -> new ShardPlan("m", 0, 5, List.of(stage(0, 0, 3, true, false), stage(1, 2, 5, false, true))));
        assertMessage("cover layers [0, 4) of 5", () -> new ShardPlan("m", 0, 5, List.of(stage(0, 0, 4, true, true))));
        assertMessage("has no stages", () -> new ShardPlan("m", 0, 5, List.of()));
    }

    @Test
    void embeddingAndHeadMustBeAtTheEnds() {
        assertMessage("first stage must embed", () -> new ShardPlan("m", 0, 5, List.of(stage(0, 0, 5, false, true))));
        assertMessage("last stage must apply the head", () -> new ShardPlan("m", 0, 5, List.of(stage(0, 0, 5, true, false))));
        assertMessage("only the first stage embeds", () -> new ShardPlan("m", 0, 5, List.of(stage(0, 0, 2, true, false), stage(1, 2, 5, true, true))));
        assertMessage("only the last stage applies the head", () -> new ShardPlan("m", 0, 5, List.of(stage(0, 0, 2, true, true), stage(1, 2, 5, false, true))));
    }

    @Test
    void layerRangesAreNeverEmpty() {
        assertThrows(IllegalArgumentException.class, () -> new LayerRange(3, 3));
        assertThrows(IllegalArgumentException.class, () -> new LayerRange(-1, 3));
    }

    private static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable e) {
        PlanException ex = assertThrows(PlanException.class, e);
        assertTrue(ex.getMessage().contains(fragment), ex.getMessage());
        assertTrue(ex.getMessage().contains("model m"), "names the model: " + ex.getMessage());
    }
}
