package dev.baremetalrt.backend.tensorrt;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.TokenGenerator;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A whole model inside one TensorRT-LLM executor. It generates through {@link #generator()}; the step methods of
 * {@link Shard} (KV caches per session, forward) belong to layer-range backends and are refused, naming the model.
 */
final class TensorRtShard implements Shard {
    private final ShardSpec spec;
    private final NativeExecutor executor;
    private final Consumer<TensorRtShard> onClose;

    TensorRtShard(ShardSpec spec, NativeExecutor executor, Consumer<TensorRtShard> onClose) {
        this.spec = spec;
        this.executor = executor;
        this.onClose = onClose;
    }

    @Override
    public ShardSpec spec() {
        return spec;
    }

    @Override
    public Optional<TokenGenerator> generator() {
        return Optional.of(executor);
    }

    private BackendException noSteps(String what) {
        return new BackendException("tensorrt-llm generates whole sequences inside TensorRT-LLM; %s is not available for %s (use generator())".formatted(what, spec.describe()));
    }

    @Override
    public void openSession(String sessionId) {
        throw noSteps("openSession");
    }

    @Override
    public StepResult forward(StepBatch batch) {
        throw noSteps("forward");
    }

    @Override
    public void truncate(String sessionId, int length) {
        throw noSteps("truncate");
    }

    @Override
    public void release(String sessionId) {
        // nothing to release: no session was ever opened here
    }

    @Override
    public int sessionLength(String sessionId) {
        throw noSteps("sessionLength");
    }

    @Override
    public void close() {
        executor.close();
        onClose.accept(this);
    }
}
