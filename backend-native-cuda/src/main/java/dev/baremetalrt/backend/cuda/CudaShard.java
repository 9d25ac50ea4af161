package dev.baremetalrt.backend.cuda;

import static dev.baremetalrt.backend.cuda.CudaDriver.check;
import static java.util.Objects.requireNonNull;

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
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Logger;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * A layer range on one GPU, with its own CUDA stream. A forward call uploads the batch's tokens or hidden
 * states and its positions/cache table through pinned buffers, runs every layer for all positions of all
 * sessions together, and copies hidden states or logits back. Calls are serialised per shard.
 */
final class CudaShard implements Shard {
    private static final Logger LOG = Logger.getLogger(CudaShard.class.getName());
    /** One block per row: a row of 8192 is 8 values per thread. */
    private static final int NORM_THREADS = 1024;

    /** A session's KV cache: one device allocation [layers][2][capacity][kvDim] of float32. */
    private record Session(DevicePointer cache, int[] length) {}

    private final ShardSpec spec;
    private final ModelConfig config;
    private final CudaDevice device;
    private final CudaKernels kernels;
    private final DeviceAllocator allocator;
    private final CUstream stream = new CUstream();
    private final DeviceWeights weights;
    private final Scratch scratch;
    private final MemoryPlan plan;
    private final Map<String, Session> sessions = new HashMap<>();
    private final Consumer<CudaShard> onClose;
    private final int attentionShared;
    /** Pairs of each head RoPE rotates (computed once: the frequencies are derived from the config on every call). */
    private final int ropePairs;
    /** Decode steps replayed as CUDA graphs (one launch instead of ~17 per layer); null when disabled. */
    private final DecodeGraphs graphs;
    private boolean closed;

    CudaShard(ShardSpec spec, CudaDevice device, Consumer<CudaShard> onClose, dev.baremetalrt.spi.LoadProgress progress) {
        this.spec = requireNonNull(spec, "spec is null");
        this.config = spec.weights().config();
        this.device = device;
        this.onClose = onClose;
        this.attentionShared = LaunchGeometry.attentionSharedBytes(config.headDim());
        this.ropePairs = config.ropeInverseFrequencies().length;
        this.plan = MemoryPlan.of(config, spec.layers().size(), spec.contextCapacity());
        this.allocator = new DeviceAllocator(device, spec.describe());
        this.kernels = device.kernels();
        long needed = DeviceWeights.uploadBytes(spec);
        long free = device.freeMemory();
        if (needed > free) {
            throw new BackendException(MemoryPlan.outOfMemory(device.id, spec.describe(), "the weights", needed, free, device.totalMemory));
        }
        check(JCudaDriver.cuStreamCreate(stream, 0), device.id + ": cuStreamCreate");
        try {
            this.weights = new DeviceWeights(spec, device, allocator, stream, progress);
        } catch (RuntimeException e) {
            JCudaDriver.cuStreamDestroy(stream);
            throw e;
        }
        this.scratch = new Scratch(allocator);
        this.graphs = DecodeGraphs.enabled() ? new DecodeGraphs(stream, device.id + " " + spec.describe()) : null;
        long freeAfter = device.freeMemory();
        LOG.info(() -> "%s: %s loaded; %s free = %d tokens of KV cache at %s per token (%d sessions of %d positions)".formatted(
                device.id, spec.describe(), MemoryPlan.mib(freeAfter), plan.kvCapacityTokens(freeAfter), MemoryPlan.mib(plan.kvBytesPerToken()),
                plan.sessionsThatFit(freeAfter), spec.contextCapacity()));
    }

    @Override
    public ShardSpec spec() {
        return spec;
    }

    CudaDevice device() {
        return device;
    }

    private void ensureOpen() {
        if (closed) {
            throw new BackendException("cuda shard for %s on %s is closed".formatted(spec.describe(), device.id));
        }
    }

    @Override
    public synchronized void openSession(String sessionId) {
        requireNonNull(sessionId, "sessionId is null");
        ensureOpen();
        if (sessions.containsKey(sessionId)) {
            throw new SessionException("session %s is already open on %s".formatted(sessionId, spec.describe()));
        }
        device.makeCurrent();
        DevicePointer cache = allocator.allocate(plan.sessionKvBytes(), "the KV cache of session " + sessionId);
        sessions.put(sessionId, new Session(cache, new int[1]));
    }

    private Session session(String sessionId) {
        Session s = sessions.get(sessionId);
        if (s == null) {
            throw new SessionException("unknown session %s on %s (never opened, or released)".formatted(sessionId, spec.describe()));
        }
        return s;
    }

    @Override
    public synchronized void truncate(String sessionId, int length) {
        ensureOpen();
        Session s = session(sessionId);
        if (length < 0 || length > s.length[0]) {
            throw new SessionException("session %s on %s: cannot truncate %d positions to %d".formatted(sessionId, spec.describe(), s.length[0], length));
        }
        s.length[0] = length; // positions beyond are overwritten before they are read again
    }

    @Override
    public synchronized void release(String sessionId) {
        Session s = sessions.remove(sessionId);
        if (s != null) {
            device.makeCurrent();
            DeviceAllocator.free(s.cache);
        }
    }

    @Override
    public synchronized int sessionLength(String sessionId) {
        return session(sessionId).length[0];
    }

    @Override
    public synchronized StepResult forward(StepBatch batch) {
        ensureOpen();
        StepChecks.checkBatch(batch, spec, "cuda", CudaBackend.MAX_BATCH_SESSIONS);
        List<SessionStep> steps = batch.steps();
        Session[] batchSessions = new Session[steps.size()];
        for (int s = 0; s < steps.size(); s++) {
            batchSessions[s] = validate(steps.get(s));
        }
        device.makeCurrent();
        int n = batch.totalPositions();
        int selected = 0;
        for (SessionStep step : steps) {
            selected += step.logits() == SessionStep.Logits.ALL ? step.positions() : 1;
        }
        CUdeviceptr positions = uploadMeta(steps, batchSessions, n, selected);
        CUdeviceptr tokens = positions.withByteOffset(4L * n);
        CUdeviceptr headRows = positions.withByteOffset(8L * n);
        CUdeviceptr caches = positions.withByteOffset(metaCacheOffset(n, selected));
        int dim = config.dim();
        CUdeviceptr x = scratch.x.ensure(4L * n * dim);
        if (!spec.embedding()) {
            ByteBuffer in = scratch.hostIn.ensure(4L * n * dim);
            float[] row = new float[n * dim];
            int at = 0;
            for (SessionStep step : steps) {
                step.hidden().copyTo(0, row, at, step.positions() * dim);
                at += step.positions() * dim;
            }
            in.asFloatBuffer().put(row);
            check(JCudaDriver.cuMemcpyHtoDAsync(x, scratch.hostIn.pointer(), 4L * n * dim, stream), device.id + ": uploading hidden states");
        }
        ensureBuffers(n, selected);
        int positionCount = n;
        int selectedCount = selected;
        Runnable compute = () -> {
            if (spec.embedding()) {
                DeviceWeights.Matrix e = weights.embedding;
                kernels.launch("embed_" + e.format().suffix, positionCount, 1, LaunchGeometry.ELEMENTWISE_THREADS, 0, stream, e.data(), e.scales(), tokens, x, dim);
            }
            for (int l = 0; l < weights.layers.length; l++) {
                layer(l, positionCount, x, positions, caches);
            }
            if (spec.head()) {
                head(positionCount, selectedCount, x, headRows);
            }
        };
        if (graphs != null && n <= LaunchGeometry.GEMV_MAX_POSITIONS) {
            graphs.run(n, selected, scratch.generation(), compute);
        } else {
            compute.run();
        }
        StepResult result = spec.head() ? logits(steps, selected) : hidden(steps, n, x);
        for (int s = 0; s < steps.size(); s++) {
            batchSessions[s].length[0] = steps.get(s).startPosition() + steps.get(s).positions();
        }
        return result;
    }

    private static long metaCacheOffset(int n, int selected) {
        return (4L * (2L * n + selected) + 7) / 8 * 8;
    }

    /** positions[n], tokens[n], head rows[selected], then (8-aligned) cache addresses[n]: one copy. */
    private CUdeviceptr uploadMeta(List<SessionStep> steps, Session[] batchSessions, int n, int selected) {
        long bytes = metaCacheOffset(n, selected) + 8L * n;
        ByteBuffer meta = scratch.hostMeta.ensure(bytes);
        int row = 0;
        int head = 0;
        long cacheOffset = metaCacheOffset(n, selected);
        for (int s = 0; s < steps.size(); s++) {
            SessionStep step = steps.get(s);
            int count = step.positions();
            int firstSelected = step.logits() == SessionStep.Logits.ALL ? 0 : count - 1;
            for (int i = 0; i < count; i++, row++) {
                meta.putInt(4 * row, step.startPosition() + i);
                meta.putInt(4 * (n + row), spec.embedding() ? step.token(i) : 0);
                if (i >= firstSelected) {
                    meta.putInt(4 * (2 * n + head++), row);
                }
                meta.putLong((int) (cacheOffset + 8L * row), batchSessions[s].cache.address());
            }
        }
        CUdeviceptr device = scratch.meta.ensure(bytes);
        check(JCudaDriver.cuMemcpyHtoDAsync(device, scratch.hostMeta.pointer(), bytes, stream), this.device.id + ": uploading positions");
        return device;
    }

    private Session validate(SessionStep step) {
        Session s = session(step.sessionId());
        StepChecks.check(step, spec, s.length[0]);
        return s;
    }

    /** Grows every work buffer this call needs before anything is launched (and before a graph capture). */
    private void ensureBuffers(int n, int selected) {
        int dim = config.dim();
        scratch.normed.ensure(4L * n * dim);
        scratch.q.ensure(4L * n * dim);
        scratch.k.ensure(4L * n * config.kvDim());
        scratch.v.ensure(4L * n * config.kvDim());
        scratch.attention.ensure(4L * n * dim);
        scratch.sum.ensure(4L * n * dim);
        scratch.gate.ensure(4L * n * config.ffnDim());
        scratch.up.ensure(4L * n * config.ffnDim());
        if (spec.head()) {
            scratch.logits.ensure(4L * selected * config.vocabSize());
        }
    }

    private void layer(int l, int n, CUdeviceptr x, CUdeviceptr positions, CUdeviceptr caches) {
        DeviceWeights.Layer w = weights.layers[l];
        int dim = config.dim();
        int kvDim = config.kvDim();
        int ffn = config.ffnDim();
        int headDim = config.headDim();
        float eps = config.rmsNormEps();
        CUdeviceptr normed = scratch.normed.ensure(4L * n * dim);
        CUdeviceptr q = scratch.q.ensure(4L * n * dim);
        CUdeviceptr k = scratch.k.ensure(4L * n * kvDim);
        CUdeviceptr v = scratch.v.ensure(4L * n * kvDim);
        CUdeviceptr att = scratch.attention.ensure(4L * n * dim);
        CUdeviceptr sum = scratch.sum.ensure(4L * n * dim);
        CUdeviceptr gate = scratch.gate.ensure(4L * n * ffn);
        CUdeviceptr up = scratch.up.ensure(4L * n * ffn);
        int threads = LaunchGeometry.ELEMENTWISE_THREADS;
        kernels.launch("rms_norm", n, 1, NORM_THREADS, 0, stream, x, null, w.attnNorm(), normed, dim, eps);
        matmul(w.q(), normed, q, n);
        matmul(w.k(), normed, k, n);
        matmul(w.v(), normed, v, n);
        if (ropePairs > 0) {
            kernels.launch("rope", n, 1, threads, 0, stream, q, positions, weights.invFreq, config.headCount(), headDim, ropePairs);
            kernels.launch("rope", n, 1, threads, 0, stream, k, positions, weights.invFreq, config.kvHeadCount(), headDim, ropePairs);
        }
        kernels.launch("kv_store", n, 1, threads, 0, stream, k, v, caches, positions, l, spec.contextCapacity(), kvDim);
        kernels.launch("attention", config.headCount(), n, LaunchGeometry.ATTENTION_THREADS, attentionShared, stream,
                q, att, caches, positions, l, spec.contextCapacity(), config.headCount(), config.kvHeadCount(), headDim, (float) (1.0 / Math.sqrt(headDim)));
        matmul(w.o(), att, sum, n);
        kernels.launch("add_in_place", LaunchGeometry.elementwiseBlocks((long) n * dim), 1, threads, 0, stream, x, sum, (long) n * dim);
        kernels.launch("rms_norm", n, 1, NORM_THREADS, 0, stream, x, null, w.ffnNorm(), normed, dim, eps);
        matmul(w.gate(), normed, gate, n);
        matmul(w.up(), normed, up, n);
        kernels.launch("silu_mul", LaunchGeometry.elementwiseBlocks((long) n * ffn), 1, threads, 0, stream, gate, up, (long) n * ffn);
        matmul(w.down(), gate, sum, n);
        kernels.launch("add_in_place", LaunchGeometry.elementwiseBlocks((long) n * dim), 1, threads, 0, stream, x, sum, (long) n * dim);
    }

    /** y[p, :] = W x[p, :] for p < n, through the kernel {@link LaunchGeometry#matmulKernel} picks. */
    private void matmul(DeviceWeights.Matrix w, CUdeviceptr x, CUdeviceptr y, int n) {
        LaunchGeometry.MatmulKernel kernel = LaunchGeometry.matmulKernel(w.format(), w.cols(), n);
        String name = LaunchGeometry.kernelName(kernel, w.format());
        switch (kernel) {
            case GEMM -> kernels.launch(name, LaunchGeometry.gemmBlocksX(w.rows()), LaunchGeometry.gemmBlocksY(n), LaunchGeometry.GEMM_THREADS, 0, stream,
                    w.data(), w.scales(), x, y, w.rows(), w.cols(), n);
            case GEMM_TC -> kernels.launch(name, LaunchGeometry.tensorCoreBlocksX(w.rows()), LaunchGeometry.tensorCoreBlocksY(n), LaunchGeometry.GEMM_THREADS,
                    LaunchGeometry.TC_SHARED_BYTES, stream,
                    w.data(), w.scales(), x, y, w.rows(), w.cols(), n);
            case GEMV1 -> kernels.launch(name, LaunchGeometry.gemv1Blocks(w.format(), w.rows()), 1, LaunchGeometry.GEMV1_THREADS, 0, stream,
                    w.data(), w.scales(), x, y, w.rows(), w.cols(), 1);
            case GEMV_SCALAR -> kernels.launch(name, LaunchGeometry.gemvScalarBlocks(w.rows()), 1, LaunchGeometry.GEMV_THREADS, 0, stream,
                    w.data(), w.scales(), x, y, w.rows(), w.cols(), n);
            case GEMV -> {
                for (int p = 0; p < n; p += LaunchGeometry.GEMV_MAX_POSITIONS) {
                    int count = Math.min(LaunchGeometry.GEMV_MAX_POSITIONS, n - p);
                    kernels.launch(name, LaunchGeometry.gemvBlocks(w.rows()), 1, LaunchGeometry.GEMV_THREADS, 0, stream,
                            w.data(), w.scales(), x.withByteOffset(4L * p * w.cols()), y.withByteOffset(4L * p * w.rows()), w.rows(), w.cols(), count);
                }
            }
        }
    }

    private StepResult hidden(List<SessionStep> steps, int n, CUdeviceptr x) {
        int dim = config.dim();
        float[] all = download(x, n * dim);
        List<StepResult.Output> outputs = new ArrayList<>(steps.size());
        int row = 0;
        for (SessionStep step : steps) {
            int count = step.positions();
            float[] h = java.util.Arrays.copyOfRange(all, row * dim, (row + count) * dim);
            outputs.add(new StepResult.Output(step.sessionId(), TensorPayload.ofFloats(h, count, dim)));
            row += count;
        }
        return new StepResult(outputs);
    }

    /** Final norm of the selected rows and the output head, into the logits buffer. */
    private void head(int n, int selected, CUdeviceptr x, CUdeviceptr headRows) {
        int dim = config.dim();
        CUdeviceptr normed = scratch.normed.ensure(4L * n * dim);
        kernels.launch("rms_norm", selected, 1, NORM_THREADS, 0, stream, x, headRows, weights.outputNorm, normed, dim, config.rmsNormEps());
        matmul(weights.output, normed, scratch.logits.ensure(4L * selected * config.vocabSize()), selected);
    }

    private StepResult logits(List<SessionStep> steps, int selected) {
        int vocab = config.vocabSize();
        float[] all = download(scratch.logits.ensure(4L * selected * vocab), selected * vocab);
        List<StepResult.Output> outputs = new ArrayList<>(steps.size());
        int at = 0;
        for (SessionStep step : steps) {
            int m = step.logits() == SessionStep.Logits.ALL ? step.positions() : 1;
            outputs.add(new StepResult.Output(step.sessionId(), TensorPayload.ofFloats(java.util.Arrays.copyOfRange(all, at * vocab, (at + m) * vocab), m, vocab)));
            at += m;
        }
        return new StepResult(outputs);
    }

    /** Copies {@code count} floats back through the pinned buffer and waits for the stream. */
    private float[] download(CUdeviceptr src, int count) {
        ByteBuffer out = scratch.hostOut.ensure(4L * count);
        check(JCudaDriver.cuMemcpyDtoHAsync(scratch.hostOut.pointer(), src, 4L * count, stream), device.id + ": copying results back");
        check(JCudaDriver.cuStreamSynchronize(stream), "%s: running %s".formatted(device.id, spec.describe()));
        float[] values = new float[count];
        out.asFloatBuffer().get(values);
        return values;
    }

    @Override
    public synchronized MemoryReport memory() {
        long kv = (long) sessions.size() * plan.sessionKvBytes();
        return new MemoryReport(closed ? 0 : weights.bytes(), 0, kv, closed ? 0 : scratch.bytes());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.makeCurrent();
        JCudaDriver.cuStreamSynchronize(stream);
        for (Session s : sessions.values()) {
            DeviceAllocator.free(s.cache);
        }
        sessions.clear();
        if (graphs != null) {
            graphs.close();
        }
        scratch.close();
        weights.close();
        JCudaDriver.cuStreamDestroy(stream);
        onClose.accept(this);
    }
}
