package dev.baremetalrt.spi;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Carries step batches to the stage that owns a layer range and brings the result back, plus session
 * control. Futures complete exceptionally with {@link TransportException} when a stage cannot be reached
 * or does not answer in time, and with the stage's own {@link BrtException} when the stage refused the
 * request. Implementations: in-process (core) and event bus (cluster).
 */
public interface Transport extends AutoCloseable {
    /** Runs a batch on a stage. */
    CompletableFuture<StepResult> forward(ShardPlan.Stage stage, StepBatch batch);

    /**
     * Runs a batch through consecutive stages of one plan and returns the last stage's result; each stage's
     * output is the next one's hidden states. The default relays through the caller, one {@link #forward}
     * per stage. A transport that can hand hidden states from stage to stage directly overrides it: one
     * traversal per hop instead of a round trip per stage.
     */
    default CompletableFuture<StepResult> forwardThrough(List<ShardPlan.Stage> stages, StepBatch batch) {
        if (stages.isEmpty()) {
            throw new IllegalArgumentException("forwardThrough needs at least one stage");
        }
        CompletableFuture<StepResult> result = forward(stages.getFirst(), batch);
        for (ShardPlan.Stage next : stages.subList(1, stages.size())) {
            result = result.thenCompose(previous -> forward(next, batch.withHidden(previous)));
        }
        return result;
    }

    /** Opens a session's KV cache on a stage. */
    CompletableFuture<Void> openSession(ShardPlan.Stage stage, String sessionId);

    /** Keeps the first {@code length} positions of a session on a stage. */
    CompletableFuture<Void> truncate(ShardPlan.Stage stage, String sessionId, int length);

    /** Frees a session on a stage. */
    CompletableFuture<Void> release(ShardPlan.Stage stage, String sessionId);

    @Override
    default void close() {}
}
