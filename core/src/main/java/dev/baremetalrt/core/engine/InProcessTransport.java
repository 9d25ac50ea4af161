package dev.baremetalrt.core.engine;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.Transport;
import dev.baremetalrt.spi.TransportException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Stages in this JVM: each stage is bound to a loaded {@link Shard} and called directly in the caller's
 * thread. Activations are handed over as they are, without encoding.
 */
public final class InProcessTransport implements Transport {
    private final Map<ShardPlan.Stage, Shard> shards = new ConcurrentHashMap<>();

    /** Routes a stage to a shard. */
    public void bind(ShardPlan.Stage stage, Shard shard) {
        shards.put(requireNonNull(stage, "stage is null"), requireNonNull(shard, "shard is null"));
    }

    /** Removes a stage's route, as if its node had left (the shard stays loaded; its owner closes it). */
    public void unbind(ShardPlan.Stage stage) {
        shards.remove(requireNonNull(stage, "stage is null"));
    }

    private Shard shard(ShardPlan.Stage stage) {
        Shard shard = shards.get(stage);
        if (shard == null) {
            throw new TransportException("no shard is bound for " + stage.describe() + " of model " + stage.modelId());
        }
        return shard;
    }

    private static <T> CompletableFuture<T> call(Supplier<T> work) {
        try {
            return CompletableFuture.completedFuture(work.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<StepResult> forward(ShardPlan.Stage stage, StepBatch batch) {
        return call(() -> shard(stage).forward(batch));
    }

    @Override
    public CompletableFuture<Void> openSession(ShardPlan.Stage stage, String sessionId) {
        return call(() -> {
            shard(stage).openSession(sessionId);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> truncate(ShardPlan.Stage stage, String sessionId, int length) {
        return call(() -> {
            shard(stage).truncate(sessionId, length);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> release(ShardPlan.Stage stage, String sessionId) {
        return call(() -> {
            shard(stage).release(sessionId);
            return null;
        });
    }
}
