package dev.baremetalrt.example.scalar;

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
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.TensorPayload;
import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A layer range of a Llama model, computed one position at a time in plain Java: embedding (first stage),
 * per layer RMSNorm, q/k/v, RoPE on consecutive pairs, causal attention over the session's KV cache
 * (grouped-query heads share a KV head), output projection, RMSNorm, SwiGLU feed-forward, both with
 * residuals; then (last stage) the final norm and the output head. A middle stage returns the residual
 * stream for every position. Weights are widened to floats at load; one lock serialises forwards.
 */
final class ScalarShard implements Shard {
    /** A weight matrix as floats: {@code rows} outputs of {@code cols} inputs each. */
    private record Matrix(float[] w, int rows, int cols) {
        void times(float[] x, float[] out) {
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += w[r * cols + c] * x[c];
                }
                out[r] = (float) sum;
            }
        }
    }

    private record Layer(float[] attnNorm, Matrix q, Matrix k, Matrix v, Matrix o, float[] ffnNorm, Matrix gate, Matrix up, Matrix down) {}

    /** One session's cache: keys and values per layer and position, {@code kvDim} floats each. */
    private static final class Session {
        final float[][] keys;
        final float[][] values;
        int length;

        Session(int layers, int capacity, int kvDim) {
            keys = new float[layers][capacity * kvDim];
            values = new float[layers][capacity * kvDim];
        }
    }

    private final ShardSpec spec;
    private final ModelConfig config;
    private final Consumer<ScalarShard> onClose;
    private final Matrix embedding;
    private final float[] outputNorm;
    private final Matrix output;
    private final Layer[] layers;
    private final double[] inverseFrequencies;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private long weightBytes;
    private volatile boolean closed;

    ScalarShard(ShardSpec spec, Consumer<ScalarShard> onClose) {
        this.spec = spec;
        this.config = spec.weights().config();
        this.onClose = onClose;
        int dim = config.dim();
        embedding = spec.embedding() ? matrix(TensorNames.TOKEN_EMBEDDING, dim, config.vocabSize()) : null;
        outputNorm = spec.head() ? vector(TensorNames.OUTPUT_NORM, dim) : null;
        String head = spec.weights().tensor(TensorNames.OUTPUT).isPresent() ? TensorNames.OUTPUT : TensorNames.TOKEN_EMBEDDING; // tied
        output = spec.head() ? matrix(head, dim, config.vocabSize()) : null;
        layers = new Layer[spec.layers().size()];
        for (int i = 0; i < layers.length; i++) {
            int l = spec.layers().start() + i;
            layers[i] = new Layer(vector(TensorNames.attnNorm(l), dim), matrix(TensorNames.attnQ(l), dim, dim),
                    matrix(TensorNames.attnK(l), dim, config.kvDim()), matrix(TensorNames.attnV(l), dim, config.kvDim()),
                    matrix(TensorNames.attnOutput(l), dim, dim), vector(TensorNames.ffnNorm(l), dim),
                    matrix(TensorNames.ffnGate(l), dim, config.ffnDim()), matrix(TensorNames.ffnUp(l), dim, config.ffnDim()),
                    matrix(TensorNames.ffnDown(l), config.ffnDim(), dim));
        }
        inverseFrequencies = config.ropeInverseFrequencies();
    }

    private Matrix matrix(String name, int cols, int rows) {
        return new Matrix(floats(spec.weights().requireTensor(name, cols, rows)), rows, cols);
    }

    private float[] vector(String name, int n) {
        return floats(spec.weights().requireTensor(name, n));
    }

    /** The tensor widened to floats; a type this backend does not declare is refused, naming it. */
    private float[] floats(WeightTensor t) {
        int n = Math.toIntExact(t.elementCount());
        float[] out = new float[n];
        if (t.type() == WeightType.F32) {
            for (int i = 0; i < n; i++) {
                out[i] = t.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            }
        } else if (t.type() == WeightType.F16) {
            for (int i = 0; i < n; i++) {
                out[i] = Float.float16ToFloat(t.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
            }
        } else {
            throw new BackendException("the scalar backend runs F32 and F16 weights only; %s of %s is %s".formatted(t.name(), spec.describe(), t.type()));
        }
        weightBytes += 4L * n;
        return out;
    }

    @Override
    public ShardSpec spec() {
        return spec;
    }

    @Override
    public void openSession(String sessionId) {
        ensureOpen();
        if (sessions.putIfAbsent(sessionId, new Session(layers.length, spec.contextCapacity(), config.kvDim())) != null) {
            throw new SessionException("session %s is already open on %s".formatted(sessionId, spec.describe()));
        }
    }

    @Override
    public synchronized StepResult forward(StepBatch batch) {
        ensureOpen();
        StepChecks.checkBatch(batch, spec, "scalar", ScalarBackend.MAX_BATCH_SESSIONS);
        for (SessionStep step : batch.steps()) { // check all before changing any cache
            StepChecks.check(step, spec, session(step.sessionId()).length);
        }
        List<StepResult.Output> outputs = new ArrayList<>();
        for (SessionStep step : batch.steps()) {
            Session session = session(step.sessionId());
            int dim = config.dim();
            float[] rows = new float[step.positions() * dim];
            for (int i = 0; i < step.positions(); i++) {
                float[] x = new float[dim];
                if (spec.embedding()) {
                    System.arraycopy(embedding.w(), step.token(i) * dim, x, 0, dim);
                } else {
                    step.hidden().copyTo(i * dim, x, 0, dim);
                }
                for (int l = 0; l < layers.length; l++) {
                    layer(layers[l], l, session, step.startPosition() + i, x);
                }
                System.arraycopy(x, 0, rows, i * dim, dim);
            }
            session.length = step.startPosition() + step.positions();
            outputs.add(new StepResult.Output(step.sessionId(), spec.head() ? logits(step, rows) : TensorPayload.ofFloats(rows, step.positions(), dim)));
        }
        return new StepResult(outputs);
    }

    private void layer(Layer w, int l, Session session, int position, float[] x) {
        int dim = config.dim();
        int kvDim = config.kvDim();
        int headDim = config.headDim();
        float[] xb = rmsNorm(x, w.attnNorm());
        float[] q = new float[dim];
        float[] k = new float[kvDim];
        float[] v = new float[kvDim];
        w.q().times(xb, q);
        w.k().times(xb, k);
        w.v().times(xb, v);
        rope(q, config.headCount(), headDim, position);
        rope(k, config.kvHeadCount(), headDim, position);
        System.arraycopy(k, 0, session.keys[l], position * kvDim, kvDim);
        System.arraycopy(v, 0, session.values[l], position * kvDim, kvDim);
        float[] attention = new float[dim];
        int group = config.headCount() / config.kvHeadCount();
        double scale = 1 / Math.sqrt(headDim);
        double[] scores = new double[position + 1];
        for (int h = 0; h < config.headCount(); h++) {
            int kvOffset = (h / group) * headDim;
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t <= position; t++) {
                double dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += q[h * headDim + d] * session.keys[l][t * kvDim + kvOffset + d];
                }
                scores[t] = dot * scale;
                max = Math.max(max, scores[t]);
            }
            double total = 0;
            for (int t = 0; t <= position; t++) {
                scores[t] = Math.exp(scores[t] - max);
                total += scores[t];
            }
            for (int t = 0; t <= position; t++) {
                for (int d = 0; d < headDim; d++) {
                    attention[h * headDim + d] += (float) (scores[t] / total * session.values[l][t * kvDim + kvOffset + d]);
                }
            }
        }
        float[] o = new float[dim];
        w.o().times(attention, o);
        for (int i = 0; i < dim; i++) {
            x[i] += o[i];
        }
        xb = rmsNorm(x, w.ffnNorm());
        float[] gate = new float[config.ffnDim()];
        float[] up = new float[config.ffnDim()];
        w.gate().times(xb, gate);
        w.up().times(xb, up);
        for (int i = 0; i < gate.length; i++) {
            gate[i] = (float) (gate[i] / (1 + Math.exp(-gate[i])) * up[i]); // SiLU(gate) * up
        }
        float[] down = new float[dim];
        w.down().times(gate, down);
        for (int i = 0; i < dim; i++) {
            x[i] += down[i];
        }
    }

    /** Rotates consecutive pairs (2p, 2p+1) of each head by position times the pair's frequency. */
    private void rope(float[] x, int heads, int headDim, int position) {
        for (int p = 0; p < inverseFrequencies.length; p++) {
            double angle = position * inverseFrequencies[p];
            float cos = (float) Math.cos(angle);
            float sin = (float) Math.sin(angle);
            for (int h = 0; h < heads; h++) {
                int at = h * headDim + 2 * p;
                float a = x[at];
                float b = x[at + 1];
                x[at] = a * cos - b * sin;
                x[at + 1] = a * sin + b * cos;
            }
        }
    }

    private float[] rmsNorm(float[] x, float[] weight) {
        double sum = 0;
        for (float v : x) {
            sum += v * v;
        }
        float inverse = (float) (1 / Math.sqrt(sum / x.length + config.rmsNormEps()));
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inverse * weight[i];
        }
        return out;
    }

    private TensorPayload logits(SessionStep step, float[] rows) {
        int dim = config.dim();
        int first = step.logits() == SessionStep.Logits.ALL ? 0 : step.positions() - 1;
        int count = step.positions() - first;
        float[] out = new float[count * config.vocabSize()];
        float[] row = new float[config.vocabSize()];
        for (int i = 0; i < count; i++) {
            float[] x = java.util.Arrays.copyOfRange(rows, (first + i) * dim, (first + i + 1) * dim);
            output.times(rmsNorm(x, outputNorm), row);
            System.arraycopy(row, 0, out, i * row.length, row.length);
        }
        return TensorPayload.ofFloats(out, count, config.vocabSize());
    }

    @Override
    public void truncate(String sessionId, int length) {
        ensureOpen();
        Session session = session(sessionId);
        if (length < 0 || length > session.length) {
            throw new SessionException("session %s on %s holds %d positions; cannot truncate to %d".formatted(sessionId, spec.describe(), session.length, length));
        }
        session.length = length;
    }

    @Override
    public void release(String sessionId) {
        sessions.remove(sessionId);
    }

    @Override
    public int sessionLength(String sessionId) {
        return session(sessionId).length;
    }

    /** KV caches are allocated whole when a session opens, so they count from then until release. */
    @Override
    public MemoryReport memory() {
        long kv = (long) sessions.size() * layers.length * spec.contextCapacity() * config.kvDim() * 2 * Float.BYTES;
        return new MemoryReport(weightBytes, 0, kv, 0);
    }

    private Session session(String sessionId) {
        Session session = sessions.get(sessionId);
        if (session == null) {
            throw new SessionException("unknown session %s on %s".formatted(sessionId, spec.describe()));
        }
        return session;
    }

    private void ensureOpen() {
        if (closed) {
            throw new BackendException("shard %s is closed".formatted(spec.describe()));
        }
    }

    @Override
    public void close() {
        closed = true;
        sessions.clear();
        onClose.accept(this);
    }
}
