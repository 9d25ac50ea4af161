package dev.baremetalrt.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.TensorPayload;
import dev.baremetalrt.spi.Transport;
import dev.baremetalrt.spi.TransportException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What every {@link Transport} must do, whatever carries the calls. Extend it, serve test shards where your
 * transport reaches them ({@link #serve}), make them unreachable ({@link #lose}), and say whether calls
 * time out ({@link #timeout}). The shards here are small fakes that echo or record what they get, so only
 * the transport is tested.
 *
 * <p>Rules (the number is in each test's name; what to look at when one fails):
 * <ul>
 *   <li><b>T1</b> a forward returns what the stage returned, for a one-token step and for a 512 x 4096
 *       activation (8 MiB in F32): look at message size limits and the encoding of tensors.</li>
 *   <li><b>T2</b> open, truncate and release reach the stage with the session id and length.</li>
 *   <li><b>T3</b> a stage's refusal arrives as the same exception type with the stage's message
 *       ({@link SessionException}, {@link BackendException}), so callers can tell bad input from a lost
 *       stage: look at how failures are encoded in replies.</li>
 *   <li><b>T4</b> a stage nobody serves (never served, or lost) fails the call with a
 *       {@link TransportException} within the timeout, never hangs.</li>
 *   <li><b>T5</b> (transports with a timeout) a stage that does not answer fails the call with a
 *       {@link TransportException} naming it, after about the timeout.</li>
 *   <li><b>T6</b> eight sessions forwarding at once each get their own result back: look at how replies
 *       are matched to requests.</li>
 *   <li><b>T7</b> {@link Transport#forwardThrough} over three stages gives each stage the previous one's output
 *       and returns the last one's result; a refusal by a later stage keeps its type and message: look at
 *       how a transport that hands outputs from stage to stage carries the route and reports failures.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class TransportConformanceTest {
    /** The transport under test (one instance for the whole class). */
    protected abstract Transport transport();

    /** Serves {@code shard} as a stage of model {@code modelId} where the transport reaches it; returns the stage. */
    protected abstract ShardPlan.Stage serve(String modelId, Shard shard);

    /** Makes a served stage unreachable, as a node that left would. */
    protected abstract void lose(ShardPlan.Stage stage);

    /** The transport's per-call timeout, or null when it has none (calls run in the caller's thread). */
    protected abstract Duration timeout();

    /** Slack on top of the timeout for a loaded machine. */
    protected Duration slack() {
        return Duration.ofSeconds(5);
    }

    @Test
    void t1ForwardReturnsWhatTheStageReturned() {
        ShardPlan.Stage stage = serve("t1", new FakeShard());
        for (int[] shape : new int[][] {{1, 64}, {512, 4096}}) {
            TensorPayload hidden = random(shape[0], shape[1], shape[0]);
            StepResult result = transport().forward(stage, StepBatch.of(SessionStep.ofHidden("s", 0, hidden, SessionStep.Logits.LAST))).join();
            assertArrayEquals(hidden.shape(), result.output("s").shape(), "shape of a %d x %d echo".formatted(shape[0], shape[1]));
            assertArrayEquals(FakeShard.negated(hidden.toFloatArray()), result.output("s").toFloatArray(), "values of a %d x %d echo".formatted(shape[0], shape[1]));
        }
    }

    @Test
    void t2ControlCallsReachTheStage() {
        FakeShard shard = new FakeShard();
        ShardPlan.Stage stage = serve("t2", shard);
        transport().openSession(stage, "chat-7").join();
        transport().truncate(stage, "chat-7", 12).join();
        transport().release(stage, "chat-7").join();
        assertEquals(List.of("open chat-7", "truncate chat-7 12", "release chat-7"), shard.calls);
    }

    @Test
    void t3StageRefusalsKeepTheirTypeAndMessage() {
        ShardPlan.Stage stage = serve("t3", new FakeShard());
        CompletionException session = assertThrows(CompletionException.class, () -> transport().openSession(stage, "refuse-session").join());
        assertInstanceOf(SessionException.class, session.getCause(), "a session refusal stays a SessionException");
        assertTrue(session.getCause().getMessage().contains("session refuse-session is refused by the fake"), session.getCause().getMessage());
        CompletionException backend = assertThrows(CompletionException.class, () -> transport().openSession(stage, "refuse-backend").join());
        assertInstanceOf(BackendException.class, backend.getCause(), "a backend refusal stays a BackendException");
        assertTrue(backend.getCause().getMessage().contains("out of memory in the fake"), backend.getCause().getMessage());
    }

    @Test
    void t4AStageNobodyServesIsATransportErrorNotAHang() {
        ShardPlan.Stage stage = serve("t4", new FakeShard());
        transport().openSession(stage, "before").join();
        lose(stage);
        long start = System.nanoTime();
        CompletableFuture<Void> call = transport().openSession(stage, "after");
        CompletionException e = assertThrows(CompletionException.class, () -> call.orTimeout(deadlineMillis(), TimeUnit.MILLISECONDS).join());
        assertInstanceOf(TransportException.class, e.getCause(), "a lost stage is a TransportException, got " + e.getCause());
        assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(deadlineMillis()), "failed within the timeout");
    }

    @Test
    void t5AStageThatDoesNotAnswerTimesOut() {
        Assumptions.assumeTrue(timeout() != null, "this transport calls stages in the caller's thread: it has no timeout of its own (T5 does not apply)");
        FakeShard shard = new FakeShard();
        shard.sleepMillis = timeout().toMillis() + slack().toMillis();
        ShardPlan.Stage stage = serve("t5", shard);
        long start = System.nanoTime();
        CompletionException e = assertThrows(CompletionException.class,
                () -> transport().forward(stage, StepBatch.of(SessionStep.ofHidden("slow", 0, random(1, 8, 1), SessionStep.Logits.LAST))).join());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertInstanceOf(TransportException.class, e.getCause(), "a silent stage is a TransportException, got " + e.getCause());
        assertTrue(millis >= timeout().toMillis() * 9 / 10 && millis < timeout().toMillis() + slack().toMillis(),
                "failed after about the timeout (%d ms), took %d ms".formatted(timeout().toMillis(), millis));
    }

    @Test
    void t6ConcurrentSessionsEachGetTheirOwnResult() {
        ShardPlan.Stage stage = serve("t6", new FakeShard());
        List<CompletableFuture<StepResult>> calls = new ArrayList<>();
        List<TensorPayload> sent = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 8; i++) {
                TensorPayload hidden = random(3, 128, 100 + i);
                sent.add(hidden);
                int session = i;
                calls.add(CompletableFuture.supplyAsync(() -> transport().forward(stage,
                        StepBatch.of(SessionStep.ofHidden("c" + session, 0, hidden, SessionStep.Logits.ALL))), pool).thenCompose(f -> f));
            }
            for (int i = 0; i < 8; i++) {
                assertArrayEquals(FakeShard.negated(sent.get(i).toFloatArray()), calls.get(i).join().output("c" + i).toFloatArray(), "session c" + i);
            }
        }
    }

    @Test
    void t7ForwardThroughHandsEachStageThePreviousOutput() {
        List<ShardPlan.Stage> stages = List.of(serve("t7a", new FakeShard()), serve("t7b", new FakeShard()), serve("t7c", new FakeShard()));
        TensorPayload hidden = random(2, 256, 7);
        StepResult result = transport().forwardThrough(stages, StepBatch.of(SessionStep.ofHidden("through", 0, hidden, SessionStep.Logits.ALL))).join();
        // each fake negates what it gets: three stages negate once overall, only if each got the previous one's output
        assertArrayEquals(FakeShard.negated(hidden.toFloatArray()), result.output("through").toFloatArray(), "three negations");
        FakeShard refusing = new FakeShard();
        refusing.refuseForwards = true;
        List<ShardPlan.Stage> refused = List.of(serve("t7d", new FakeShard()), serve("t7e", refusing));
        CompletionException e = assertThrows(CompletionException.class, () -> transport().forwardThrough(refused,
                StepBatch.of(SessionStep.ofHidden("refused", 0, hidden, SessionStep.Logits.LAST))).join());
        assertInstanceOf(SessionException.class, e.getCause(), "the second stage's refusal stays a SessionException, got " + e.getCause());
        assertTrue(e.getCause().getMessage().contains("forward of refused is refused by the fake"), e.getCause().getMessage());
    }

    private long deadlineMillis() {
        return (timeout() == null ? 0 : timeout().toMillis()) + slack().toMillis();
    }

    private static TensorPayload random(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return TensorPayload.ofFloats(v, rows, cols);
    }

    /**
     * A stage that answers each hidden state with its negation (so an echo of the request is not mistaken
     * for a result), records control calls, refuses two session ids, and can be slow.
     */
    protected static final class FakeShard implements Shard {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile long sleepMillis;
        volatile boolean refuseForwards;

        static float[] negated(float[] values) {
            float[] out = values.clone();
            for (int i = 0; i < out.length; i++) {
                out[i] = -out[i];
            }
            return out;
        }

        @Override
        public ShardSpec spec() {
            return null;
        }

        @Override
        public void openSession(String sessionId) {
            if (sessionId.equals("refuse-session")) {
                throw new SessionException("session refuse-session is refused by the fake");
            }
            if (sessionId.equals("refuse-backend")) {
                throw new BackendException("out of memory in the fake");
            }
            calls.add("open " + sessionId);
        }

        @Override
        public StepResult forward(StepBatch batch) {
            if (sleepMillis > 0) {
                try {
                    Thread.sleep(sleepMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            List<StepResult.Output> outputs = new ArrayList<>();
            for (SessionStep step : batch.steps()) {
                if (refuseForwards) {
                    throw new SessionException("forward of %s is refused by the fake".formatted(step.sessionId()));
                }
                outputs.add(new StepResult.Output(step.sessionId(), TensorPayload.ofFloats(negated(step.hidden().toFloatArray()), step.hidden().shape())));
            }
            return new StepResult(outputs);
        }

        @Override
        public void truncate(String sessionId, int length) {
            calls.add("truncate " + sessionId + " " + length);
        }

        @Override
        public void release(String sessionId) {
            calls.add("release " + sessionId);
        }

        @Override
        public int sessionLength(String sessionId) {
            return 0;
        }

        @Override
        public void close() {}
    }
}
