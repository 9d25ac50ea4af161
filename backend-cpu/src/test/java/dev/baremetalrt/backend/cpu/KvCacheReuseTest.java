package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.model.Models;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import org.junit.jupiter.api.Test;

/** A released session's KV cache is handed to the next session while others run; an idle shard holds none. */
class KvCacheReuseTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378, 30, 351, 259, 283, 292, 269, 261, 312, 287, 264, 265, 282};
    private static final int[] OTHER = {1, 320, 335, 302, 261, 279, 266, 292};

    @Test
    void aReusedCacheGivesTheLogitsOfAFreshOneAndIsGivenBackWhenTheShardIsIdle() {
        try (Model model = Models.open(SharedModels.file("stories260K/stories260K.gguf"));
             Backend backend = new CpuBackendProvider().open(BackendOptions.withThreads(2))) {
            ShardSpec spec = new ShardSpec(model, new LayerRange(0, model.config().layerCount()), true, true, 64);
            float[] fresh;
            try (Shard alone = backend.load(spec)) {
                alone.openSession("fresh");
                fresh = logits(alone, "fresh", PROMPT);
            }
            try (Shard shard = backend.load(spec)) {
                shard.openSession("stays");
                logits(shard, "stays", repeated(40)); // holds more than "leaves" will, so that its cache is kept
                shard.openSession("leaves");
                logits(shard, "leaves", PROMPT);
                logits(shard, "leaves", new int[] {300, 301, 302, 303}, PROMPT.length); // longer than the next session
                long twoSessions = shard.memory().kvCacheBytes();

                shard.release("leaves");
                assertEquals(twoSessions, shard.memory().kvCacheBytes(), "kept for the next session while another runs");
                shard.openSession("next");
                assertEquals(twoSessions, shard.memory().kvCacheBytes(), "the next session took the released cache over");
                assertArrayEquals(fresh, logits(shard, "next", PROMPT), "what the last session left past its length is never read");
                assertEquals(PROMPT.length, shard.sessionLength("next"));

                shard.release("next");
                shard.release("stays");
                assertEquals(0, shard.memory().kvCacheBytes(), "an idle shard holds no KV cache");
            }
        }
    }

    @Test
    void noMoreIsKeptThanLiveSessionsHold() {
        try (Model model = Models.open(SharedModels.file("stories260K/stories260K.gguf"));
             Backend backend = new CpuBackendProvider().open(BackendOptions.withThreads(1));
             Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, model.config().layerCount()), true, true, 64))) {
            shard.openSession("small");
            logits(shard, "small", OTHER); // 8 positions: the smallest allocation (16)
            long small = shard.memory().kvCacheBytes();
            shard.openSession("large");
            logits(shard, "large", repeated(40));
            shard.release("large");
            assertEquals(small, shard.memory().kvCacheBytes(), "a spare cache larger than what live sessions hold is dropped");
            assertTrue(small > 0);
        }
    }

    private static int[] repeated(int n) {
        int[] tokens = new int[n];
        java.util.Arrays.fill(tokens, 300);
        tokens[0] = 1;
        return tokens;
    }

    private static float[] logits(Shard shard, String session, int[] tokens) {
        return logits(shard, session, tokens, 0);
    }

    private static float[] logits(Shard shard, String session, int[] tokens, int start) {
        return shard.forward(StepBatch.of(SessionStep.ofTokens(session, start, tokens, SessionStep.Logits.LAST))).output(session).toFloatArray();
    }
}
