package dev.baremetalrt.backend.cpu;

import static dev.baremetalrt.backend.cpu.Workspace.Slot.ATT;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.COS;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.DOWN;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.GATE;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.K;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.LOGITS;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.NORMED;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.O;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.Q;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.SIN;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.UP;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.V;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.X;
import static dev.baremetalrt.backend.cpu.Workspace.Slot.XB;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A layer range on the CPU. All positions of all steps in a batch go through each weight matrix together
 * ({@code [positions, dim]} activations), so prefill reads every weight row once per block of positions
 * instead of once per token. {@code forward} calls are serialised (each one uses every worker thread).
 */
final class CpuShard implements Shard {
    /** Positions multiplied per pass over a weight row block (activations of one block stay in L2). */
    private static final int POSITION_BLOCK = 32;
    /** Rows per unit of work for the per-row kernels (see {@link #matmuls}). */
    private static final int ROW_UNIT = 16;
    /**
     * Rows widened per tile: one register tile's height. With weights out of cache (8 positions, 490 MB of
     * Q8_0), 4-row tiles gave 2.94-3.21x one position's rate against 2.79-2.85x for 16 rows and 2.61-2.85x
     * for 8; 32 positions were the same either way (MatVecBenchmark {@code --positions 1,8g --matrices 40}).
     */
    static final int GEMM_TILE_ROWS = 4;
    /**
     * Positions from which a padded 8-position pass over a repacked matrix beats one pass per position: a pass for
     * 8 costs about 2.5 single ones (InterleavedQ8Benchmark: 0.10-0.15 against 0.04-0.08 ns per weight).
     */
    static final int PACKED_CHUNK_FROM = 3;
    /** See {@link #rowsWorthAThread}. */
    private static final int ELEMENTS_WORTH_A_THREAD = 32 * 1024;
    /** Each worker's widened rows, kept between calls (otherwise one tile per matrix and thread: by arithmetic ~12 MB per tinyllama decode step). */
    private static final ThreadLocal<float[]> GEMM_TILE = ThreadLocal.withInitial(() -> new float[0]);

    private final ShardSpec spec;
    private final ModelConfig config;
    private final CpuWeights weights;
    private final Parallel parallel;
    private final float[] invFreq;
    private final Map<String, KvCache> sessions = new ConcurrentHashMap<>();
    /** Caches of released sessions that new sessions take over ({@link #release}); guarded by itself. */
    private final ArrayDeque<KvCache> spare = new ArrayDeque<>();
    private final Consumer<CpuShard> onClose;
    private final ThreadLocal<float[]> scores;
    private final Workspace work = new Workspace();
    private volatile boolean closed;

    CpuShard(ShardSpec spec, Parallel parallel, Consumer<CpuShard> onClose) {
        this.spec = requireNonNull(spec, "spec is null");
        this.config = spec.weights().config();
        this.weights = CpuWeights.load(spec);
        this.parallel = parallel;
        this.onClose = onClose;
        double[] frequencies = config.ropeInverseFrequencies();
        this.invFreq = new float[frequencies.length];
        for (int i = 0; i < frequencies.length; i++) {
            invFreq[i] = (float) frequencies[i];
        }
        int capacity = spec.contextCapacity();
        this.scores = ThreadLocal.withInitial(() -> new float[capacity]);
    }

    @Override
    public ShardSpec spec() {
        return spec;
    }

    private void ensureOpen() {
        if (closed) {
            throw new BackendException("cpu shard for %s is closed".formatted(spec.describe()));
        }
    }

    @Override
    public void openSession(String sessionId) {
        requireNonNull(sessionId, "sessionId is null");
        ensureOpen();
        KvCache cache;
        synchronized (spare) {
            cache = spare.poll();
        }
        if (cache == null) {
            cache = new KvCache(spec.layers().size(), config.kvDim(), spec.contextCapacity());
        } else {
            cache.length = 0; // positions past the length are never read: each step writes its own before attending
        }
        if (sessions.putIfAbsent(sessionId, cache) != null) {
            throw new SessionException("session %s is already open on %s".formatted(sessionId, spec.describe()));
        }
    }

    private KvCache session(String sessionId) {
        KvCache cache = sessions.get(sessionId);
        if (cache == null) {
            throw new SessionException("unknown session %s on %s (never opened, or released)".formatted(sessionId, spec.describe()));
        }
        return cache;
    }

    @Override
    public void truncate(String sessionId, int length) {
        ensureOpen();
        KvCache cache = session(sessionId);
        synchronized (this) {
            cache.truncate(sessionId, length);
        }
    }

    @Override
    public void release(String sessionId) {
        KvCache cache = sessions.remove(sessionId);
        if (cache == null) {
            return;
        }
        // Kept for the next session while others run, so that a busy server does not allocate (and the GC copy and
        // the kernel fault in) megabytes per request; never more spare than live bytes, and none once the shard is idle.
        long live = 0;
        for (KvCache c : sessions.values()) {
            live += c.bytes();
        }
        synchronized (spare) {
            long held = cache.bytes();
            for (KvCache c : spare) {
                held += c.bytes();
            }
            if (sessions.isEmpty()) {
                spare.clear();
            } else if (held <= live) {
                spare.push(cache);
            }
        }
    }

    @Override
    public int sessionLength(String sessionId) {
        return session(sessionId).length;
    }

    @Override
    public synchronized StepResult forward(StepBatch batch) {
        ensureOpen();
        StepChecks.checkBatch(batch, spec, "cpu", CpuBackend.MAX_BATCH_SESSIONS);
        List<SessionStep> steps = batch.steps();
        KvCache[] caches = new KvCache[steps.size()];
        for (int s = 0; s < steps.size(); s++) {
            caches[s] = validate(steps.get(s));
        }
        int dim = config.dim();
        int n = batch.totalPositions();
        int[] rowPosition = new int[n];
        int[] rowStep = new int[n];
        float[] x = work.floats(X, n * dim);
        int row = 0;
        for (int s = 0; s < steps.size(); s++) {
            SessionStep step = steps.get(s);
            int count = step.positions();
            for (int i = 0; i < count; i++, row++) {
                rowPosition[row] = step.startPosition() + i;
                rowStep[row] = s;
                if (spec.embedding()) {
                    weights.embedding.dequantizeRow(step.token(i), x, row * dim);
                }
            }
            if (!spec.embedding()) {
                step.hidden().copyTo(0, x, (row - count) * dim, count * dim);
            }
            caches[s].ensure(step.startPosition() + count);
        }
        int pairs = invFreq.length;
        float[] cos = work.floats(COS, n * pairs);
        float[] sin = work.floats(SIN, n * pairs);
        Ops.ropeTables(rowPosition, n, invFreq, cos, sin);
        for (int l = 0; l < weights.layers.length; l++) {
            layer(l, x, n, rowPosition, rowStep, caches, cos, sin);
        }
        for (int s = 0; s < steps.size(); s++) {
            caches[s].length = steps.get(s).startPosition() + steps.get(s).positions();
        }
        return spec.head() ? logits(steps, x) : hidden(steps, x);
    }

    private KvCache validate(SessionStep step) {
        KvCache cache = session(step.sessionId());
        StepChecks.check(step, spec, cache.length);
        return cache;
    }

    private void layer(int l, float[] x, int n, int[] rowPosition, int[] rowStep, KvCache[] caches, float[] cos, float[] sin) {
        CpuWeights.Layer w = weights.layers[l];
        int dim = config.dim();
        int kvDim = config.kvDim();
        int headDim = config.headDim();
        float eps = config.rmsNormEps();
        float[] xb = work.floats(XB, n * dim);
        int normRows = rowsWorthAThread(dim);
        parallel.forRange(n, normRows, (a, b) -> {
            for (int i = a; i < b; i++) {
                Ops.rmsNorm(xb, i * dim, x, i * dim, w.attnNorm(), dim, eps);
            }
        });
        float[] q = work.floats(Q, n * dim);
        float[] k = work.floats(K, n * kvDim);
        float[] v = work.floats(V, n * kvDim);
        matmuls(xb, n, new WeightMatrix[] {w.q(), w.k(), w.v()}, q, k, v);
        for (int i = 0; i < n; i++) {
            Ops.rope(q, i * dim, config.headCount(), headDim, cos, sin, i, invFreq.length);
            Ops.rope(k, i * kvDim, config.kvHeadCount(), headDim, cos, sin, i, invFreq.length);
            KvCache cache = caches[rowStep[i]];
            System.arraycopy(k, i * kvDim, cache.keys[l], rowPosition[i] * kvDim, kvDim);
            System.arraycopy(v, i * kvDim, cache.values[l], rowPosition[i] * kvDim, kvDim);
        }
        float[] att = work.floats(ATT, n * dim);
        int heads = config.headCount();
        int group = config.groupSize();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        parallel.forRange(n * heads, 1, (a, b) -> {
            float[] score = scores.get();
            for (int task = a; task < b; task++) {
                int i = task / heads;
                int h = task % heads;
                int pos = rowPosition[i];
                KvCache cache = caches[rowStep[i]];
                int qOff = i * dim + h * headDim;
                int kvOff = (h / group) * headDim;
                Ops.attentionScores(q, qOff, cache.keys[l], kvOff, kvDim, headDim, pos + 1, scale, score);
                Ops.softmax(score, pos + 1);
                Ops.attentionValues(score, pos + 1, cache.values[l], kvOff, kvDim, headDim, att, qOff);
            }
        });
        float[] o = matmul(w.o(), att, n, work.floats(O, n * dim));
        Ops.addInPlace(x, o, n * dim);
        parallel.forRange(n, normRows, (a, b) -> {
            for (int i = a; i < b; i++) {
                Ops.rmsNorm(xb, i * dim, x, i * dim, w.ffnNorm(), dim, eps);
            }
        });
        int ffn = config.ffnDim();
        float[] gate = work.floats(GATE, n * ffn);
        float[] up = work.floats(UP, n * ffn);
        matmuls(xb, n, new WeightMatrix[] {w.gate(), w.up()}, gate, up);
        parallel.forRange(n, rowsWorthAThread(ffn), (a, b) -> Ops.siluMul(gate, up, a * ffn, (b - a) * ffn));
        float[] down = matmul(w.down(), gate, n, work.floats(DOWN, n * dim));
        Ops.addInPlace(x, down, n * dim);
    }

    /**
     * Rows of an element-wise pass worth handing to another thread: a decode batch's norms and activations
     * take a few microseconds, less than waking a worker and waiting for it.
     */
    private static int rowsWorthAThread(int width) {
        return Math.max(1, ELEMENTS_WORTH_A_THREAD / width);
    }

    /** out[p, r] = dot(w row r, x[p, :]) for p in [0, n); returns {@code out}. */
    private float[] matmul(WeightMatrix w, float[] x, int n, float[] out) {
        matmuls(x, n, new WeightMatrix[] {w}, out);
        return out;
    }

    /**
     * {@link #matmul} of every matrix in {@code ws} with the same input, in one parallel pass: one wait for the
     * slowest thread instead of one per matrix (q, k and v; gate and up). Work is split in units of a register
     * tile's rows ({@link #gemmTiles} path) or of {@link #ROW_UNIT} rows (per-row kernels), numbered across the matrices.
     */
    private void matmuls(float[] x, int n, WeightMatrix[] ws, float[]... outs) {
        float[][][] prepared = new float[ws.length][][];
        boolean[] tiles = new boolean[ws.length];
        int[] firstUnit = new int[ws.length + 1];
        float[][] transposed = null; // chunks of 8 positions, for repacked matrices
        for (int i = 0; i < ws.length; i++) {
            WeightMatrix w = ws[i];
            if (w.packed() != null) {
                if (transposed == null && n >= PACKED_CHUNK_FROM) {
                    transposed = work.chunks((n + 7) / 8, 8 * w.cols);
                    for (int c = 0; c < transposed.length; c++) {
                        Q8Interleaved.transpose8(x, w.cols, 8 * c, Math.min(8, n - 8 * c), transposed[c]);
                    }
                }
                firstUnit[i + 1] = firstUnit[i] + w.rows / Q8Interleaved.UNIT_ROWS;
                continue;
            }
            tiles[i] = n >= w.gemmFromPositions() && Simd.ENABLED;
            if (!tiles[i]) {
                prepared[i] = new float[n][];
                for (int p = 0; p < n; p++) {
                    prepared[i][p] = w.prepareInput(x, p * w.cols);
                }
            }
            int unitRows = tiles[i] ? GEMM_TILE_ROWS : ROW_UNIT;
            firstUnit[i + 1] = firstUnit[i] + (w.rows + unitRows - 1) / unitRows;
        }
        float[][] xT = transposed;
        parallel.forRange(firstUnit[ws.length], 1, (u0, u1) -> {
            for (int i = 0; i < ws.length; i++) {
                int a = Math.max(u0, firstUnit[i]) - firstUnit[i];
                int b = Math.min(u1, firstUnit[i + 1]) - firstUnit[i];
                if (a >= b) {
                    continue;
                }
                Q8Interleaved packed = ws[i].packed();
                if (packed != null) {
                    packedRange(packed, x, n, xT, outs[i], a, b);
                } else if (tiles[i]) {
                    gemmTiles(ws[i], x, n, outs[i], a, b);
                } else {
                    rowRange(ws[i], x, n, prepared[i], outs[i], a * ROW_UNIT, Math.min(ws[i].rows, b * ROW_UNIT));
                }
            }
        });
    }

    /**
     * out[p, r] = dot(w row r, x[p, :]) for rows [r0, r1) and positions [0, n), given each position's
     * {@link WeightMatrix#prepareInput}: four positions per read of a row where the type has a kernel for it,
     * in blocks of {@link #POSITION_BLOCK} positions. The decode path's work per thread (MatVecBenchmark times it).
     */
    static void rowRange(WeightMatrix w, float[] x, int n, float[][] prepared, float[] out, int r0, int r1) {
        int rows = w.rows;
        int cols = w.cols;
        // Types that prepare their input have no four-position kernel; they take one position at a time.
        boolean fourAtATime = n >= 4 && prepared[0] == null;
        float[] four = new float[4];
        for (int pb = 0; pb < n; pb += POSITION_BLOCK) {
            int pe = Math.min(n, pb + POSITION_BLOCK);
            for (int r = r0; r < r1; r++) {
                int p = pb;
                for (; fourAtATime && p + 4 <= pe; p += 4) {
                    w.dot4(r, x, p * cols, cols, four);
                    out[p * rows + r] = four[0];
                    out[(p + 1) * rows + r] = four[1];
                    out[(p + 2) * rows + r] = four[2];
                    out[(p + 3) * rows + r] = four[3];
                }
                for (; p < pe; p++) {
                    out[p * rows + r] = w.dot(r, x, p * cols, prepared[p]);
                }
            }
        }
    }

    /**
     * Units [u0, u1) of a repacked matrix's rows for n positions: chunks of 8 positions (the last one padded when it
     * has {@link #PACKED_CHUNK_FROM} or more) through {@link Q8Interleaved#times8}, fewer one at a time.
     */
    static void packedRange(Q8Interleaved m, float[] x, int n, float[][] xT, float[] out, int u0, int u1) {
        int p = 0;
        for (int c = 0; xT != null && c < xT.length; c++) {
            int count = Math.min(8, n - 8 * c);
            if (count < PACKED_CHUNK_FROM) {
                break;
            }
            m.times8(xT[c], count, 8 * c, out, u0, u1);
            p = 8 * c + count;
        }
        for (; p < n; p++) {
            m.times1(x, p * m.cols, out, p * m.rows, u0, u1);
        }
    }

    /**
     * Tiles [t0, t1) of {@link #GEMM_TILE_ROWS} rows, for prefill and decode batches of
     * {@link WeightMatrix#gemmFromPositions} or more: widen a tile of rows to floats once, then multiply it with
     * every position in 4 x 4 register tiles. The widening is shared by all positions, and the inner loop is
     * bound by FMAs instead of by dequantization (MatVecBenchmark times it).
     */
    static void gemmTiles(WeightMatrix w, float[] x, int n, float[] out, int t0, int t1) {
        int rows = w.rows;
        int cols = w.cols;
        float[] tile = GEMM_TILE.get();
        if (tile.length < GEMM_TILE_ROWS * cols) {
            tile = new float[GEMM_TILE_ROWS * cols];
            GEMM_TILE.set(tile);
        }
        float[] four = new float[4];
        for (int t = t0; t < t1; t++) {
            int r0 = t * GEMM_TILE_ROWS;
            int count = Math.min(GEMM_TILE_ROWS, rows - r0);
            for (int i = 0; i < count; i++) {
                w.dequantizeRow(r0 + i, tile, i * cols);
            }
            int i = 0;
            for (; i + 4 <= count; i += 4) {
                int p = 0;
                for (; p + 4 <= n; p += 4) {
                    VectorKernels.gemm4x4(tile, i * cols, x, p * cols, cols, out, p * rows + r0 + i, rows);
                }
                for (; p < n; p++) {
                    for (int r = i; r < i + 4; r++) {
                        out[p * rows + r0 + r] = Ops.dot(tile, r * cols, x, p * cols, cols);
                    }
                }
            }
            for (; i < count; i++) { // rows left over when the tile is not a multiple of 4
                int p = 0;
                for (; p + 4 <= n; p += 4) {
                    w.dot4(r0 + i, x, p * cols, cols, four);
                    for (int k = 0; k < 4; k++) {
                        out[(p + k) * rows + r0 + i] = four[k];
                    }
                }
                for (; p < n; p++) {
                    out[p * rows + r0 + i] = w.dot(r0 + i, x, p * cols);
                }
            }
        }
    }

    private StepResult hidden(List<SessionStep> steps, float[] x) {
        int dim = config.dim();
        List<StepResult.Output> outputs = new ArrayList<>(steps.size());
        int row = 0;
        for (SessionStep step : steps) {
            int count = step.positions();
            float[] h = java.util.Arrays.copyOfRange(x, row * dim, (row + count) * dim);
            outputs.add(new StepResult.Output(step.sessionId(), TensorPayload.ofFloats(h, count, dim)));
            row += count;
        }
        return new StepResult(outputs);
    }

    private StepResult logits(List<SessionStep> steps, float[] x) {
        int dim = config.dim();
        int selected = 0;
        for (SessionStep step : steps) {
            selected += step.logits() == SessionStep.Logits.ALL ? step.positions() : 1;
        }
        float[] normed = work.floats(NORMED, selected * dim);
        int row = 0;
        int out = 0;
        for (SessionStep step : steps) {
            int count = step.positions();
            int first = step.logits() == SessionStep.Logits.ALL ? 0 : count - 1;
            for (int i = first; i < count; i++, out++) {
                Ops.rmsNorm(normed, out * dim, x, (row + i) * dim, weights.outputNorm, dim, config.rmsNormEps());
            }
            row += count;
        }
        int vocab = config.vocabSize();
        float[] logits = matmul(weights.output, normed, selected, work.floats(LOGITS, selected * vocab));
        List<StepResult.Output> outputs = new ArrayList<>(steps.size());
        int at = 0;
        for (SessionStep step : steps) {
            int m = step.logits() == SessionStep.Logits.ALL ? step.positions() : 1;
            float[] part = java.util.Arrays.copyOfRange(logits, at * vocab, (at + m) * vocab);
            outputs.add(new StepResult.Output(step.sessionId(), TensorPayload.ofFloats(part, m, vocab)));
            at += m;
        }
        return new StepResult(outputs);
    }

    @Override
    public MemoryReport memory() {
        long kv = 0;
        for (KvCache c : sessions.values()) {
            kv += c.bytes();
        }
        synchronized (spare) {
            for (KvCache c : spare) {
                kv += c.bytes();
            }
        }
        return new MemoryReport(weights.residentBytes, weights.mappedBytes, kv, 0);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            sessions.clear();
            synchronized (spare) {
                spare.clear();
            }
            onClose.accept(this);
        }
    }
}
