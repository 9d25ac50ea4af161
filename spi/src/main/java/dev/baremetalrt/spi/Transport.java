package dev.baremetalrt.spi;

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

    /** Opens a session's KV cache on a stage. */
    CompletableFuture<Void> openSession(ShardPlan.Stage stage, String sessionId);

    /** Keeps the first {@code length} positions of a session on a stage. */
    CompletableFuture<Void> truncate(ShardPlan.Stage stage, String sessionId, int length);

    /** Frees a session on a stage. */
    CompletableFuture<Void> release(ShardPlan.Stage stage, String sessionId);

    @Override
    default void close() {}
}
