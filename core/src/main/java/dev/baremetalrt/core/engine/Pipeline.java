package dev.baremetalrt.core.engine;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.BrtException;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.Transport;
import dev.baremetalrt.spi.TransportException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Carries a batch of token steps through every stage of a plan: stage 0 embeds and runs its layers, its
 * hidden states go to stage 1, and so on; the last stage returns logits. Every call has a timeout, so a
 * stage that does not answer gives a {@link TransportException} instead of a hung request.
 *
 * <p>With a {@link PlanSource} it also survives losing a stage: it keeps each open session's token
 * history, and when a call fails with a {@link TransportException} it takes the next plan epoch, opens
 * every session on the new stages, replays the histories to rebuild their KV caches, and retries the call.
 * The caller sees a slower step, not an error; greedy decoding gives the same tokens.
 */
public final class Pipeline {
    private static final Logger LOG = Logger.getLogger(Pipeline.class.getName());
    /** How long a lost stage may take to be re-planned and loaded elsewhere. */
    static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(60);

    private volatile ShardPlan plan;
    private final Transport transport;
    private final Duration timeout;
    private final PlanSource plans;
    private final Map<String, IntHistory> histories = new ConcurrentHashMap<>();

    public Pipeline(ShardPlan plan, Transport transport, Duration timeout) {
        this(plan, transport, timeout, null);
    }

    /** A pipeline that recovers from a lost stage through {@code plans} (null: it does not). */
    public Pipeline(ShardPlan plan, Transport transport, Duration timeout, PlanSource plans) {
        this.plan = requireNonNull(plan, "plan is null");
        this.transport = requireNonNull(transport, "transport is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.plans = plans;
    }

    public ShardPlan plan() {
        return plan;
    }

    /** Why the model cannot run now, from the plan source (a cluster that lost too many nodes); empty when it can. */
    public java.util.Optional<String> unavailable() {
        return plans == null ? java.util.Optional.empty() : plans.unavailable();
    }

    /** Runs token steps through all stages; returns the last stage's logits, one output per step. */
    public StepResult forward(StepBatch tokens) {
        StepResult result = recovering("forward", () -> forwardOnce(plan, tokens));
        if (plans != null) {
            for (SessionStep step : tokens.steps()) {
                IntHistory h = histories.get(step.sessionId());
                if (h != null && step.tokens() != null) {
                    h.truncate(step.startPosition());
                    h.append(step.tokens());
                }
            }
        }
        return result;
    }

    private <T> T recovering(String what, java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (TransportException e) {
            if (plans == null) {
                throw e;
            }
            recover(what, e);
            return call.get();
        }
    }

    /** Takes the next plan and rebuilds every open session on it. */
    private synchronized void recover(String what, TransportException cause) {
        long start = System.nanoTime();
        ShardPlan lost = plan;
        LOG.warning(() -> "model %s: %s failed on plan epoch %d (%s); waiting for a new plan".formatted(lost.modelId(), what, lost.epoch(), cause.getMessage()));
        ShardPlan next = plans.awaitNewer(lost.epoch(), RECOVERY_TIMEOUT);
        plan = next;
        for (Map.Entry<String, IntHistory> e : histories.entrySet()) {
            String session = e.getKey();
            for (ShardPlan.Stage stage : next.stages()) {
                try {
                    await(stage, "release session " + session, transport.release(stage, session)); // a kept stage may hold a stale cache
                } catch (RuntimeException ignored) {
                    // not open there: fine
                }
                await(stage, "open session " + session, transport.openSession(stage, session));
            }
            int[] tokens = e.getValue().toArray();
            if (tokens.length > 0) {
                forwardOnce(next, StepBatch.of(SessionStep.ofTokens(session, 0, tokens, SessionStep.Logits.LAST)));
            }
        }
        LOG.warning(() -> "model %s: recovered on plan epoch %d in %d ms (%d session(s) replayed)".formatted(next.modelId(), next.epoch(),
                (System.nanoTime() - start) / 1_000_000, histories.size()));
    }

    /** One pass through every stage of {@code plan}; the transport decides whether hidden states come back between stages. */
    private StepResult forwardOnce(ShardPlan plan, StepBatch tokens) {
        return await(plan.stages().getFirst(), "forward", transport.forwardThrough(plan.stages(), tokens), plan.stages().size());
    }

    /** Opens a session on every stage. */
    public void openSession(String sessionId) {
        recovering("open session " + sessionId, () -> {
            for (ShardPlan.Stage stage : plan.stages()) {
                await(stage, "open session " + sessionId, transport.openSession(stage, sessionId));
            }
            return null;
        });
        if (plans != null) {
            histories.put(sessionId, new IntHistory());
        }
    }

    /** Truncates a session on every stage. */
    public void truncate(String sessionId, int length) {
        recovering("truncate session " + sessionId, () -> {
            for (ShardPlan.Stage stage : plan.stages()) {
                await(stage, "truncate session " + sessionId, transport.truncate(stage, sessionId, length));
            }
            return null;
        });
        IntHistory h = histories.get(sessionId);
        if (h != null) {
            h.truncate(length);
        }
    }

    /** Releases a session on every stage, trying all stages even when one fails. */
    public void release(String sessionId) {
        histories.remove(sessionId);
        BrtException first = null;
        for (ShardPlan.Stage stage : plan.stages()) {
            try {
                await(stage, "release session " + sessionId, transport.release(stage, sessionId));
            } catch (BrtException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** A session's token ids so far, for replay. */
    private static final class IntHistory {
        private int[] ids = new int[64];
        private int length;

        synchronized void append(int[] tokens) {
            if (length + tokens.length > ids.length) {
                ids = java.util.Arrays.copyOf(ids, Math.max(ids.length * 2, length + tokens.length));
            }
            System.arraycopy(tokens, 0, ids, length, tokens.length);
            length += tokens.length;
        }

        synchronized void truncate(int to) {
            length = Math.min(length, to);
        }

        synchronized int[] toArray() {
            return java.util.Arrays.copyOf(ids, length);
        }
    }

    private <T> T await(ShardPlan.Stage stage, String what, CompletableFuture<T> future) {
        return await(stage, what, future, 1);
    }

    /** Waits for {@code future}, which spans {@code stages} stages from {@code stage} on: the step timeout applies to each. */
    private <T> T await(ShardPlan.Stage stage, String what, CompletableFuture<T> future, int stages) {
        long millis = timeout.toMillis() * stages;
        try {
            return future.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new TransportException("%s of model %s did not answer '%s' within %d ms".formatted(stages == 1 ? stage.describe() : "the " + stages + " stages from " + stage.describe(),
                    stage.modelId(), what, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted while waiting for " + stage.describe());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BrtException b) {
                throw b;
            }
            throw new TransportException("%s of model %s failed on '%s': %s".formatted(stage.describe(), stage.modelId(), what, cause), cause);
        }
    }
}
