package dev.baremetalrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** KV sizes, capacity in tokens and the out-of-memory message, checked without a GPU. */
class MemoryPlanTest {
    @Test
    void llama70bKvCacheSizes() {
        // 80 layers, 8 KV heads of 128: keys and values in float32
        MemoryPlan plan = new MemoryPlan(80, 1024, 4096);
        assertEquals(2L * 80 * 1024 * 4, plan.kvBytesPerToken());
        assertEquals(655_360L * 4096, plan.sessionKvBytes());
    }

    @Test
    void capacityKeepsAReserve() {
        MemoryPlan plan = new MemoryPlan(10, 1024, 2048);
        long perToken = plan.kvBytesPerToken();
        assertEquals(1000, plan.kvCapacityTokens(MemoryPlan.RESERVE_BYTES + 1000 * perToken + perToken - 1));
        assertEquals(0, plan.kvCapacityTokens(MemoryPlan.RESERVE_BYTES / 2), "less than the reserve is no capacity, not a negative one");
        assertEquals(2, plan.sessionsThatFit(MemoryPlan.RESERVE_BYTES + 2 * plan.sessionKvBytes() + 5));
    }

    @Test
    void outOfMemoryNamesDeviceLayerRangeAndSizes() {
        String message = MemoryPlan.outOfMemory("cuda:1", "model llama-70b layers [0, 40) +embedding", "ffn_up.weight of layer 12",
                470L << 20, 100L << 20, 24L << 30);
        assertEquals("cuda:1 is out of memory loading model llama-70b layers [0, 40) +embedding: ffn_up.weight of layer 12 needs 470.0 MiB, "
                + "100.0 MiB of 24.0 GiB free. Use fewer layers per GPU (more stages or devices), a smaller quantization, or a smaller context.", message);
        assertTrue(MemoryPlan.mib(3L << 30).equals("3072.0 MiB"));
    }
}
