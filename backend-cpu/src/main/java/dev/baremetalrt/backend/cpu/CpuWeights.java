package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightTensor;

/** The tensors of one shard, checked against the hyperparameters. Norm vectors are copied to float arrays. */
final class CpuWeights {
    record Layer(float[] attnNorm, WeightMatrix q, WeightMatrix k, WeightMatrix v, WeightMatrix o,
                 float[] ffnNorm, WeightMatrix gate, WeightMatrix up, WeightMatrix down) {}

    final WeightMatrix embedding;
    final float[] outputNorm;
    final WeightMatrix output;
    final Layer[] layers;
    long mappedBytes;
    long residentBytes;

    private final ShardSpec spec;

    private CpuWeights(ShardSpec spec) {
        this.spec = spec;
        ModelConfig c = spec.weights().config();
        int dim = c.dim();
        embedding = spec.embedding() ? matrix(TensorNames.TOKEN_EMBEDDING, dim, c.vocabSize()) : null;
        if (spec.head()) {
            outputNorm = vector(TensorNames.OUTPUT_NORM, dim);
            output = spec.weights().tensor(TensorNames.OUTPUT).isPresent()
                    ? matrix(TensorNames.OUTPUT, dim, c.vocabSize())
                    : matrix(TensorNames.TOKEN_EMBEDDING, dim, c.vocabSize()); // tied head
        } else {
            outputNorm = null;
            output = null;
        }
        layers = new Layer[spec.layers().size()];
        for (int i = 0; i < layers.length; i++) {
            int l = spec.layers().start() + i;
            layers[i] = new Layer(
                    vector(TensorNames.attnNorm(l), dim),
                    matrix(TensorNames.attnQ(l), dim, dim),
                    matrix(TensorNames.attnK(l), dim, c.kvDim()),
                    matrix(TensorNames.attnV(l), dim, c.kvDim()),
                    matrix(TensorNames.attnOutput(l), dim, dim),
                    vector(TensorNames.ffnNorm(l), dim),
                    matrix(TensorNames.ffnGate(l), dim, c.ffnDim()),
                    matrix(TensorNames.ffnUp(l), dim, c.ffnDim()),
                    matrix(TensorNames.ffnDown(l), c.ffnDim(), dim));
        }
    }

    static CpuWeights load(ShardSpec spec) {
        return new CpuWeights(spec);
    }

    private WeightMatrix matrix(String name, int cols, int rows) {
        WeightMatrix m = WeightMatrix.of(spec.weights().requireTensor(name, cols, rows));
        mappedBytes += m.byteSize();
        return m;
    }

    private float[] vector(String name, int n) {
        WeightTensor t = spec.weights().requireTensor(name, n);
        float[] v = new float[n];
        WeightMatrix.of(new WeightTensor(name, t.type(), new long[] {n, 1}, t.data())).dequantizeRow(0, v, 0);
        residentBytes += 4L * n;
        return v;
    }
}
