package dev.baremetalrt.backend.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.MemoryReport;
import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepChecks;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.TensorPayload;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A layer range on libtorch. A forward call runs every position of every step of the batch through each
 * layer's projections as one matrix product ({@code [positions, dim]}), and attention per session against
 * its own {@link KvCache}. Intermediate arrays live in a per-call NDManager closed at the end of the call.
 * One lock serialises forwards and session changes: libtorch already spreads each operation over its
 * own threads.
 */
final class DjlShard implements Shard {
    private final ShardSpec spec;
    private final ModelConfig config;
    private final NDManager manager;
    private final Consumer<DjlShard> onClose;
    private final LlamaLayers weights;
    private final Map<String, KvCache> sessions = new HashMap<>();
    private boolean closed;

    DjlShard(ShardSpec spec, NDManager manager, Device device, Consumer<DjlShard> onClose, dev.baremetalrt.spi.LoadProgress progress) {
        this.spec = spec;
        this.config = spec.weights().config();
        this.manager = manager;
        this.onClose = onClose;
        try {
            this.weights = LlamaLayers.load(spec, manager, progress);
        } catch (RuntimeException | OutOfMemoryError e) {
            manager.close();
            if (e instanceof BackendException b) {
                throw b;
            }
            throw new BackendException("djl: cannot load %s on %s: %s".formatted(spec.describe(), device, e.getMessage()), e);
        }
    }

    @Override
    public ShardSpec spec() {
        return spec;
    }

    @Override
    public synchronized void openSession(String sessionId) {
        ensureOpen();
        if (sessions.containsKey(sessionId)) {
            throw new SessionException("session %s is already open on %s".formatted(sessionId, spec.describe()));
        }
        sessions.put(sessionId, new KvCache(manager.newSubManager(), spec.layers().size(), config.kvHeadCount(), config.headDim(), spec.contextCapacity()));
    }

    @Override
    public synchronized StepResult forward(StepBatch batch) {
        ensureOpen();
        StepChecks.checkBatch(batch, spec, "djl", DjlBackend.MAX_BATCH_SESSIONS);
        List<KvCache> caches = new ArrayList<>();
        for (SessionStep step : batch.steps()) { // check all before changing any cache
            KvCache cache = session(step.sessionId());
            StepChecks.check(step, spec, cache.length);
            caches.add(cache);
        }
        try (NDManager scratch = manager.newSubManager()) {
            return run(scratch, batch, caches);
        } catch (ai.djl.engine.EngineException | OutOfMemoryError e) { // libtorch's own failures (out of memory on a device, ...)
            throw new BackendException("djl: forward of %d session(s) failed on %s: %s".formatted(batch.steps().size(), spec.describe(), e.getMessage()), e);
        }
    }

    /** The batch through the layers; caches move on only once every layer has run. */
    private StepResult run(NDManager scratch, StepBatch batch, List<KvCache> caches) {
        for (int i = 0; i < caches.size(); i++) {
            SessionStep step = batch.steps().get(i);
            caches.get(i).reserve(step.startPosition() + step.positions());
        }
        NDArray x = spec.embedding() ? weights.embed(scratch, batch) : hiddenInput(scratch, batch);
        x = weights.layers(scratch, x, batch, caches);
        for (int i = 0; i < caches.size(); i++) {
            SessionStep step = batch.steps().get(i);
            caches.get(i).length = step.startPosition() + step.positions();
        }
        return spec.head() ? logits(scratch, x, batch) : hiddenOutput(x, batch);
    }

    private NDArray hiddenInput(NDManager scratch, StepBatch batch) {
        int dim = config.dim();
        float[] rows = new float[batch.totalPositions() * dim];
        int at = 0;
        for (SessionStep step : batch.steps()) {
            step.hidden().copyTo(0, rows, at, step.positions() * dim);
            at += step.positions() * dim;
        }
        return scratch.create(rows, new Shape(batch.totalPositions(), dim));
    }

    private StepResult hiddenOutput(NDArray x, StepBatch batch) {
        float[] all = x.toFloatArray();
        int dim = config.dim();
        List<StepResult.Output> outputs = new ArrayList<>();
        int at = 0;
        for (SessionStep step : batch.steps()) {
            float[] rows = java.util.Arrays.copyOfRange(all, at, at + step.positions() * dim);
            outputs.add(new StepResult.Output(step.sessionId(), TensorPayload.ofFloats(rows, step.positions(), dim)));
            at += step.positions() * dim;
        }
        return new StepResult(outputs);
    }

    /** Only the rows that get logits go through the final norm and the head. */
    private StepResult logits(NDManager scratch, NDArray x, StepBatch batch) {
        NDList wanted = new NDList();
        int first = 0;
        for (SessionStep step : batch.steps()) {
            int from = step.logits() == SessionStep.Logits.ALL ? first : first + step.positions() - 1;
            wanted.add(x.get(scratch, new ai.djl.ndarray.index.NDIndex("{}:{}", from, first + step.positions())));
            first += step.positions();
        }
        NDArray rows = wanted.size() == 1 ? wanted.get(0) : NDArrays.concat(wanted, 0);
        float[] all = weights.head(rows).toFloatArray();
        int vocab = config.vocabSize();
        List<StepResult.Output> outputs = new ArrayList<>();
        int at = 0;
        for (SessionStep step : batch.steps()) {
            int count = step.logits() == SessionStep.Logits.ALL ? step.positions() : 1;
            float[] out = java.util.Arrays.copyOfRange(all, at, at + count * vocab);
            outputs.add(new StepResult.Output(step.sessionId(), TensorPayload.ofFloats(out, count, vocab)));
            at += count * vocab;
        }
        return new StepResult(outputs);
    }

    @Override
    public synchronized void truncate(String sessionId, int length) {
        ensureOpen();
        KvCache cache = session(sessionId);
        if (length < 0 || length > cache.length) {
            throw new SessionException("session %s on %s holds %d positions; cannot truncate to %d".formatted(sessionId, spec.describe(), cache.length, length));
        }
        cache.length = length; // positions past the length are overwritten before they are read again
    }

    @Override
    public synchronized void release(String sessionId) {
        KvCache cache = sessions.remove(sessionId);
        if (cache != null) {
            cache.close();
        }
    }

    @Override
    public synchronized int sessionLength(String sessionId) {
        return session(sessionId).length;
    }

    @Override
    public synchronized MemoryReport memory() {
        long kv = sessions.values().stream().mapToLong(KvCache::bytes).sum();
        return new MemoryReport(closed ? 0 : weights.bytes(), 0, kv, 0);
    }

    private KvCache session(String sessionId) {
        KvCache cache = sessions.get(sessionId);
        if (cache == null) {
            throw new SessionException("unknown session %s on %s".formatted(sessionId, spec.describe()));
        }
        return cache;
    }

    private void ensureOpen() {
        if (closed) {
            throw new BackendException("djl shard %s is closed".formatted(spec.describe()));
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            sessions.values().forEach(KvCache::close);
            sessions.clear();
            manager.close();
            onClose.accept(this);
        }
    }
}
