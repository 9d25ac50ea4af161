package dev.baremetalrt.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.MemoryReport;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.TensorPayload;
import dev.baremetalrt.spi.WeightType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The whole backend suite: {@link BackendReferenceTest}'s rules R1-R5 plus the lifecycle rules below.
 * Extend this one (not the reference test) and return your provider from {@link #provider()}.
 *
 * <p>Rules (the number is in each test's name; what to look at when one fails):
 * <ul>
 *   <li><b>R6</b> a session's KV cache shows in the shard's {@code memory()} once it has positions, and
 *       {@code release} gives it back (to the figure before the session): look at what release frees and
 *       what the memory report counts. A backend whose report is always empty skips R6, saying so.</li>
 *   <li><b>R7</b> four sessions driven from four threads at once give the same logits as each alone
 *       (backends are thread-safe): look at shared scratch buffers and per-session state.</li>
 *   <li><b>R8</b> after {@code close} the backend leaves no thread of its own running (within 5 s): look at
 *       worker pools and native threads that {@code close} must stop.</li>
 *   <li><b>R9</b> a batch of as many sessions as {@code capabilities().maxBatchSessions()} runs, and one
 *       more is refused with a {@link dev.baremetalrt.spi.SessionException} naming the limit
 *       ({@code StepChecks.checkBatch}): look at what the backend declares against what it enforces.</li>
 * </ul>
 */
public abstract class BackendConformanceTest extends BackendReferenceTest {
    @Test
    void r6ReleaseGivesTheKvCacheBack() {
        try (LlamaModel model = open(GQA.name(), WeightType.F32); Backend backend = provider().open(options())) {
            Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, model.config().layerCount()), true, true, 64));
            MemoryReport before = shard.memory();
            Assumptions.assumeFalse(before.equals(MemoryReport.EMPTY), "this backend reports no memory: R6 cannot measure it");
            shard.openSession("m");
            shard.forward(StepBatch.of(SessionStep.ofTokens("m", 0, LONG_PROMPT, SessionStep.Logits.LAST)));
            MemoryReport used = shard.memory();
            assertTrue(used.kvCacheBytes() > before.kvCacheBytes(), "a session with %d positions holds KV cache: before %s, after %s"
                    .formatted(LONG_PROMPT.length, before, used));
            shard.release("m");
            MemoryReport after = shard.memory();
            assertEquals(before.kvCacheBytes(), after.kvCacheBytes(), "release gives the KV cache back: before %s, after release %s".formatted(before, after));
            shard.close();
        }
    }

    @Test
    void r7ConcurrentSessionsEqualSessionsAlone() throws Exception {
        int sessions = 4;
        try (LlamaModel model = open(GQA.name(), supportedOr(WeightType.F16)); LocalDeployment local = LocalDeployment.load(model, provider(), options(), stages(2), 64)) {
            Pipeline p = local.engine().pipeline();
            List<TensorPayload> alone = new ArrayList<>();
            for (int s = 0; s < sessions; s++) {
                alone.add(run(p, "alone-" + s, prompt(s)));
            }
            ExecutorService pool = Executors.newFixedThreadPool(sessions);
            try {
                List<CompletableFuture<TensorPayload>> together = new ArrayList<>();
                for (int s = 0; s < sessions; s++) {
                    int session = s;
                    together.add(CompletableFuture.supplyAsync(() -> run(p, "together-" + session, prompt(session)), pool));
                }
                for (int s = 0; s < sessions; s++) {
                    TensorPayload got = together.get(s).get();
                    for (int row = 0; row < got.dim(0); row++) {
                        assertClose(toDoubles(alone.get(s), row), got, row, 1e-4, "session %d, step %d, run beside %d others".formatted(s, row, sessions - 1));
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** A prompt per session, different for each. */
    private static int[] prompt(int session) {
        return java.util.Arrays.stream(PROMPT).map(t -> 1 + (t + 31 * session) % 290).toArray();
    }

    /** The prompt's logits at its last position, then four decode steps: one row per step. */
    private static TensorPayload run(Pipeline p, String session, int[] prompt) {
        p.openSession(session);
        TensorPayload last = p.forward(StepBatch.of(SessionStep.ofTokens(session, 0, prompt, SessionStep.Logits.LAST))).output(session);
        List<float[]> all = new ArrayList<>(List.of(last.toFloatArray()));
        int width = last.dim(1);
        for (int step = 0; step < 4; step++) {
            int next = argmax(last.toFloatArray());
            last = p.forward(StepBatch.of(SessionStep.ofTokens(session, prompt.length + step, new int[] {next}, SessionStep.Logits.LAST))).output(session);
            all.add(last.toFloatArray());
        }
        p.release(session);
        float[] rows = new float[all.size() * width];
        for (int i = 0; i < all.size(); i++) {
            System.arraycopy(all.get(i), 0, rows, i * width, width);
        }
        return TensorPayload.ofFloats(rows, all.size(), width);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void r8CloseLeavesNoThreadRunning() throws InterruptedException {
        Set<Long> before = liveThreads().stream().map(Thread::threadId).collect(Collectors.toSet());
        try (LlamaModel model = open(GQA.name(), WeightType.F32)) {
            Backend backend = provider().open(options());
            Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, model.config().layerCount()), true, true, 64));
            shard.openSession("t");
            shard.forward(StepBatch.of(SessionStep.ofTokens("t", 0, LONG_PROMPT, SessionStep.Logits.LAST)));
            backend.close();
        }
        List<Thread> left = List.of();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            left = liveThreads().stream().filter(t -> !before.contains(t.threadId())).filter(t -> !isJvmOwned(t)).toList();
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("threads still running 5 s after close: " + left.stream().map(Thread::getName).toList());
    }

    @Test
    void r9BatchesUpToTheDeclaredLimitRunAndLargerOnesAreRefused() {
        try (LlamaModel model = open(GQA.name(), WeightType.F32); Backend backend = provider().open(options())) {
            int limit = backend.capabilities().maxBatchSessions();
            Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, model.config().layerCount()), true, true, 4));
            List<SessionStep> steps = new ArrayList<>();
            for (int s = 0; s <= limit; s++) {
                shard.openSession("b" + s);
                steps.add(SessionStep.ofTokens("b" + s, 0, new int[] {1 + s % 200}, SessionStep.Logits.LAST));
            }
            dev.baremetalrt.spi.SessionException refused = org.junit.jupiter.api.Assertions.assertThrows(dev.baremetalrt.spi.SessionException.class,
                    () -> shard.forward(new StepBatch(steps)), "a batch of %d sessions, one over the declared %d, is refused".formatted(limit + 1, limit));
            assertTrue(refused.getMessage().contains(Integer.toString(limit)), "the refusal names the limit: " + refused.getMessage());
            assertEquals(limit, shard.forward(new StepBatch(steps.subList(0, limit))).outputs().size(), "a batch of exactly the limit runs");
            shard.close();
        }
    }

    private static List<Thread> liveThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).toList();
    }

    /** Threads the JVM or JUnit start on their own (the common pool, reference handling, JIT), not the backend's. */
    private static boolean isJvmOwned(Thread t) {
        String name = t.getName();
        return name.startsWith("ForkJoinPool.commonPool") || name.equals("Common-Cleaner") || name.startsWith("Attach Listener")
                || name.startsWith("process reaper") || name.startsWith("junit-");
    }
}
