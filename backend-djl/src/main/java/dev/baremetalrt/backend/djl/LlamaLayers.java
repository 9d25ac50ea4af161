package dev.baremetalrt.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightSource;
import dev.baremetalrt.spi.WeightTensor;
import java.util.Arrays;
import java.util.List;

/**
 * The weights of a layer range as float32 NDArrays and the Llama math over them, written as plain tensor
 * algebra: RMSNorm, q/k/v projections, RoPE on consecutive pairs (the GGUF layout core hands every
 * backend), grouped-query attention against a session's cache with a causal mask inside a step, output
 * projection, SwiGLU feed-forward, residuals; the final norm and head on the last stage.
 *
 * <p>Every operation starts from an activation, never from a weight, because DJL attaches a result to the
 * manager of its first operand: that keeps intermediates in the per-call manager and weights untouched.
 * Projection matrices are kept as transposed views {@code [in, out]}, so {@code x.matMul(w)} is one GEMM.
 */
final class LlamaLayers {
    private record Layer(NDArray attnNorm, NDArray q, NDArray k, NDArray v, NDArray o, NDArray ffnNorm, NDArray gate, NDArray up, NDArray down) {}

    private final ModelConfig config;
    private final NDArray embedding;
    private final NDArray outputNorm;
    private final NDArray output;
    private final Layer[] layers;
    private final double[] inverseFrequencies;
    private final long bytes;

    private LlamaLayers(ModelConfig config, NDArray embedding, NDArray outputNorm, NDArray output, Layer[] layers, long bytes) {
        this.config = config;
        this.embedding = embedding;
        this.outputNorm = outputNorm;
        this.output = output;
        this.layers = layers;
        this.inverseFrequencies = config.ropeInverseFrequencies();
        this.bytes = bytes;
    }

    /** Loads what the spec asks for into {@code manager}; a missing tensor or wrong shape names the model and tensor. */
    static LlamaLayers load(ShardSpec spec, NDManager manager, dev.baremetalrt.spi.LoadProgress progress) {
        WeightSource w = spec.weights();
        ModelConfig c = w.config();
        long[] total = {0};
        Loader load = (name, shape) -> {
            WeightTensor t = w.requireTensor(name, shape);
            NDArray a = TorchWeights.load(manager, t);
            total[0] += a.size() * Float.BYTES;
            return a;
        };
        int dim = c.dim();
        NDArray embedding = null;
        if (spec.embedding() || (spec.head() && w.tensor(TensorNames.OUTPUT).isEmpty())) {
            embedding = load.tensor(TensorNames.TOKEN_EMBEDDING, dim, c.vocabSize());
        }
        NDArray outputNorm = null;
        NDArray output = null;
        if (spec.head()) {
            outputNorm = load.tensor(TensorNames.OUTPUT_NORM, dim).reshape(dim);
            output = w.tensor(TensorNames.OUTPUT).isPresent() ? transposed(load.tensor(TensorNames.OUTPUT, dim, c.vocabSize())) : transposed(embedding);
        }
        Layer[] layers = new Layer[spec.layers().size()];
        for (int i = 0; i < layers.length; i++) {
            int l = spec.layers().start() + i;
            layers[i] = new Layer(
                    load.tensor(TensorNames.attnNorm(l), dim).reshape(dim),
                    transposed(load.tensor(TensorNames.attnQ(l), dim, dim)),
                    transposed(load.tensor(TensorNames.attnK(l), dim, c.kvDim())),
                    transposed(load.tensor(TensorNames.attnV(l), dim, c.kvDim())),
                    transposed(load.tensor(TensorNames.attnOutput(l), dim, dim)),
                    load.tensor(TensorNames.ffnNorm(l), dim).reshape(dim),
                    transposed(load.tensor(TensorNames.ffnGate(l), dim, c.ffnDim())),
                    transposed(load.tensor(TensorNames.ffnUp(l), dim, c.ffnDim())),
                    transposed(load.tensor(TensorNames.ffnDown(l), c.ffnDim(), dim)));
            progress.loaded(i + 1, layers.length);
        }
        return new LlamaLayers(c, spec.embedding() ? embedding : null, outputNorm, output, layers, total[0]);
    }

    @FunctionalInterface
    private interface Loader {
        NDArray tensor(String name, long... shape);
    }

    private static NDArray transposed(NDArray w) {
        return w.transpose(); // a view: the weight keeps one copy, matMul reads it transposed
    }

    /** Bytes of float32 weights held. */
    long bytes() {
        return bytes;
    }

    /** Embedding rows of every token of the batch, {@code [positions, dim]}. */
    NDArray embed(NDManager scratch, StepBatch batch) {
        long[] ids = new long[batch.totalPositions()];
        int at = 0;
        for (SessionStep step : batch.steps()) {
            for (int i = 0; i < step.positions(); i++) {
                ids[at++] = step.token(i);
            }
        }
        return embedding.get(scratch, new NDIndex("{}", scratch.create(ids)));
    }

    /** Runs every layer of the range over {@code x} ({@code [positions, dim]}, the batch's steps one after another). */
    NDArray layers(NDManager scratch, NDArray x, StepBatch batch, List<KvCache> caches) {
        NDArray[] rope = ropeTables(scratch, batch);
        NDArray[] masks = new NDArray[batch.steps().size()]; // the same for every layer: made once per call
        for (int s = 0; s < masks.length; s++) {
            SessionStep step = batch.steps().get(s);
            masks[s] = step.positions() > 1 ? causalMask(scratch, step, config.groupSize()) : null;
        }
        for (int l = 0; l < layers.length; l++) {
            x = layer(scratch, layers[l], l, x, batch, caches, rope[0], rope[1], masks);
        }
        return x;
    }

    private NDArray layer(NDManager scratch, Layer w, int l, NDArray x, StepBatch batch, List<KvCache> caches, NDArray cos, NDArray sin, NDArray[] masks) {
        long n = x.getShape().get(0);
        int headDim = config.headDim();
        NDArray xb = rmsNorm(x, w.attnNorm());
        NDArray q = rope(xb.matMul(w.q()).reshape(n, config.headCount(), headDim), cos, sin);
        NDArray k = rope(xb.matMul(w.k()).reshape(n, config.kvHeadCount(), headDim), cos, sin);
        NDArray v = xb.matMul(w.v()).reshape(n, config.kvHeadCount(), headDim);
        NDList heads = new NDList();
        int row = 0;
        for (int s = 0; s < caches.size(); s++) {
            SessionStep step = batch.steps().get(s);
            NDIndex rows = new NDIndex("{}:{}", row, row + step.positions());
            caches.get(s).write(l, step.startPosition(), k.get(rows), v.get(rows));
            heads.add(attention(scratch, q.get(rows), caches.get(s), l, step, masks[s]));
            row += step.positions();
        }
        NDArray attended = heads.size() == 1 ? heads.get(0) : NDArrays.concat(heads, 0);
        x = x.add(attended.matMul(w.o()));
        xb = rmsNorm(x, w.ffnNorm());
        NDArray gate = xb.matMul(w.gate());
        NDArray act = gate.mul(Activation.sigmoid(gate)).mul(xb.matMul(w.up())); // SiLU(gate) * up
        return x.add(act.matMul(w.down()));
    }

    /**
     * Causal attention of one session's {@code n} new positions over its cached ones. Query heads are grouped
     * under their KV head ({@code [kvHeads, group * n, headDim]}), so keys and values are never copied per head.
     */
    private NDArray attention(NDManager scratch, NDArray q, KvCache cache, int l, SessionStep step, NDArray mask) {
        int n = step.positions();
        int length = step.startPosition() + n;
        int kvHeads = config.kvHeadCount();
        int group = config.groupSize();
        int headDim = config.headDim();
        NDArray grouped = q.reshape(n, kvHeads, group, headDim).transpose(1, 2, 0, 3).reshape(kvHeads, (long) group * n, headDim);
        NDArray keys = cache.keys(scratch, l, length).transpose(1, 2, 0); // [kvHeads, headDim, length]
        NDArray scores = grouped.matMul(keys).mul(1 / Math.sqrt(headDim));
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray values = cache.values(scratch, l, length).transpose(1, 0, 2); // [kvHeads, length, headDim]
        NDArray out = scores.softmax(2).matMul(values); // [kvHeads, group * n, headDim]
        return out.reshape(kvHeads, group, n, headDim).transpose(2, 0, 1, 3).reshape(n, config.dim());
    }

    /** {@code [group * n, length]}: 0 where position {@code start + i} may see {@code t}, -inf after it. */
    private static NDArray causalMask(NDManager scratch, SessionStep step, int group) {
        int n = step.positions();
        int length = step.startPosition() + n;
        float[] mask = new float[group * n * length];
        for (int g = 0; g < group; g++) {
            for (int i = 0; i < n; i++) {
                int from = (g * n + i) * length;
                Arrays.fill(mask, from + step.startPosition() + i + 1, from + length, Float.NEGATIVE_INFINITY);
            }
        }
        return scratch.create(mask, new Shape((long) group * n, length));
    }

    /** cos and sin of every row's position times each pair's frequency, {@code [positions, 1, pairs]}, computed in double. */
    private NDArray[] ropeTables(NDManager scratch, StepBatch batch) {
        int pairs = inverseFrequencies.length;
        float[] cos = new float[batch.totalPositions() * pairs];
        float[] sin = new float[cos.length];
        int row = 0;
        for (SessionStep step : batch.steps()) {
            for (int i = 0; i < step.positions(); i++, row++) {
                for (int p = 0; p < pairs; p++) {
                    double angle = (double) (step.startPosition() + i) * inverseFrequencies[p];
                    cos[row * pairs + p] = (float) Math.cos(angle);
                    sin[row * pairs + p] = (float) Math.sin(angle);
                }
            }
        }
        Shape shape = new Shape(batch.totalPositions(), 1, pairs);
        return new NDArray[] {scratch.create(cos, shape), scratch.create(sin, shape)};
    }

    /** Rotates pairs (2p, 2p+1) of the first {@code ropeDim} values of each head of {@code x} ({@code [n, heads, headDim]}). */
    private NDArray rope(NDArray x, NDArray cos, NDArray sin) {
        Shape shape = x.getShape();
        long n = shape.get(0);
        long heads = shape.get(1);
        int ropeDim = config.ropeDim();
        boolean partial = ropeDim < config.headDim();
        NDArray rotated = partial ? x.get(":, :, 0:{}", ropeDim) : x;
        NDArray pairs = rotated.reshape(n, heads, ropeDim / 2, 2);
        NDArray a = pairs.get(":, :, :, 0");
        NDArray b = pairs.get(":, :, :, 1");
        NDArray ra = a.mul(cos).sub(b.mul(sin));
        NDArray rb = a.mul(sin).add(b.mul(cos));
        NDArray out = ra.stack(rb, 3).reshape(n, heads, ropeDim);
        return partial ? out.concat(x.get(":, :, {}:", ropeDim), 2) : out;
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        return x.div(x.square().mean(new int[] {-1}, true).add(config.rmsNormEps()).sqrt()).mul(weight);
    }

    /** Final norm and output head over some rows: logits {@code [rows, vocab]}. */
    NDArray head(NDArray rows) {
        return rmsNorm(rows, outputNorm).matMul(output);
    }
}
