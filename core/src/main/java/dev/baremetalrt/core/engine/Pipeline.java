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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Carries a batch of token steps through every stage of a plan: stage 0 embeds and runs its layers, its
 * hidden states go to stage 1, and so on; the last stage returns logits. Every call has a timeout, so a
 * stage that does not answer gives a {@link TransportException} instead of a hung request.
 */
public final class Pipeline {
    private final ShardPlan plan;
    private final Transport transport;
    private final Duration timeout;

    public Pipeline(ShardPlan plan, Transport transport, Duration timeout) {
        this.plan = requireNonNull(plan, "plan is null");
        this.transport = requireNonNull(transport, "transport is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
    }

    public ShardPlan plan() {
        return plan;
    }

    /** Runs token steps through all stages; returns the last stage's logits, one output per step. */
    public StepResult forward(StepBatch tokens) {
        StepBatch batch = tokens;
        StepResult result = null;
        for (ShardPlan.Stage stage : plan.stages()) {
            result = await(stage, "forward", transport.forward(stage, batch));
            if (!stage.head()) {
                List<SessionStep> next = new ArrayList<>(batch.steps().size());
                for (SessionStep step : batch.steps()) {
                    next.add(step.withHidden(result.output(step.sessionId())));
                }
                batch = new StepBatch(next);
            }
        }
        return result;
    }

    /** Opens a session on every stage. */
    public void openSession(String sessionId) {
        for (ShardPlan.Stage stage : plan.stages()) {
            await(stage, "open session " + sessionId, transport.openSession(stage, sessionId));
        }
    }

    /** Truncates a session on every stage. */
    public void truncate(String sessionId, int length) {
        for (ShardPlan.Stage stage : plan.stages()) {
            await(stage, "truncate session " + sessionId, transport.truncate(stage, sessionId, length));
        }
    }

    /** Releases a session on every stage, trying all stages even when one fails. */
    public void release(String sessionId) {
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

    private <T> T await(ShardPlan.Stage stage, String what, CompletableFuture<T> future) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new TransportException("%s of model %s did not answer '%s' within %d ms".formatted(stage.describe(), plan.modelId(), what, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted while waiting for " + stage.describe());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BrtException b) {
                throw b;
            }
            throw new TransportException("%s of model %s failed on '%s': %s".formatted(stage.describe(), plan.modelId(), what, cause), cause);
        }
    }
}
