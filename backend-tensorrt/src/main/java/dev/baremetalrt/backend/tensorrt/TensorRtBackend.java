package dev.baremetalrt.backend.tensorrt;

import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendCapabilities;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.DeviceInfo;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An open tensorrt-llm backend. Whole-model only: {@link #load} takes every layer with the embedding and the
 * head, and starts one TensorRT-LLM executor for the engine directory; the model file given with it supplies
 * the tokenizer and the vocabulary size, the engine holds its own weights.
 */
final class TensorRtBackend implements Backend {
    /** Requests the server may hand over at once; TensorRT-LLM batches them in flight and queues the rest. */
    static final int MAX_BATCH_SESSIONS = 64;
    static final String NOTE = "whole-model engine: generates tokens itself (TokenGenerator), no layer ranges and no forward steps; "
            + "weights come from the TensorRT-LLM engine directory, not from the model file";

    private final Path library;
    private final Path engine;
    private final String optionsJson;
    private final List<TensorRtShard> shards = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    TensorRtBackend(Path library, Path engine, String optionsJson) {
        this.library = library;
        this.engine = engine;
        this.optionsJson = optionsJson;
    }

    @Override
    public String id() {
        return TensorRtBackendProvider.ID;
    }

    @Override
    public BackendCapabilities capabilities() {
        return new BackendCapabilities(EnumSet.allOf(WeightType.class), false, MAX_BATCH_SESSIONS,
                List.of(new DeviceInfo("cuda", "GPU(s) of engine " + engine, -1, -1)), NOTE);
    }

    @Override
    public synchronized Shard load(ShardSpec spec) {
        if (closed) {
            throw new BackendException("tensorrt-llm backend is closed; cannot load " + spec.describe());
        }
        int layers = spec.weights().config().layerCount();
        if (spec.layers().start() != 0 || spec.layers().end() != layers || !spec.embedding() || !spec.head()) {
            throw new BackendException(("tensorrt-llm runs whole models only: cannot load %s (layers %s of %d); use one stage "
                    + "(pipeline parallelism happens inside TensorRT-LLM, set when the engine is built)").formatted(spec.describe(), spec.layers(), layers));
        }
        NativeExecutor executor = new NativeExecutor(library, engine, optionsJson, spec.weights().config().vocabSize());
        TensorRtShard shard = new TensorRtShard(spec, executor, shards::remove);
        shards.add(shard);
        return shard;
    }

    @Override
    public synchronized void close() {
        closed = true;
        shards.forEach(TensorRtShard::close);
    }
}
