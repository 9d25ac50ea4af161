package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.Settings;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.util.logging.Logger;

/** The tensors of one shard, checked against the hyperparameters. Norm vectors are copied to float arrays. */
final class CpuWeights {
    private static final Logger LOG = Logger.getLogger(CpuWeights.class.getName());
    /** Off with {@code brt.cpu.repack=false} / {@code BRT_CPU_REPACK=false}: Q8_0 products then read the file's row layout. */
    private static final boolean REPACK = !Settings.get("cpu.repack").map(v -> v.equalsIgnoreCase("false")).orElse(false);

    record Layer(float[] attnNorm, WeightMatrix q, WeightMatrix k, WeightMatrix v, WeightMatrix o,
                 float[] ffnNorm, WeightMatrix gate, WeightMatrix up, WeightMatrix down) {}

    final WeightMatrix embedding;
    final float[] outputNorm;
    final WeightMatrix output;
    final Layer[] layers;
    long mappedBytes;
    long residentBytes;

    private final ShardSpec spec;
    /** Matrices that could have been repacked but were not, for lack of heap, and their bytes. */
    private int unpacked;
    private long unpackedBytes;

    private CpuWeights(ShardSpec spec) {
        this.spec = spec;
        ModelConfig c = spec.weights().config();
        int dim = c.dim();
        embedding = spec.embedding() ? matrix(TensorNames.TOKEN_EMBEDDING, dim, c.vocabSize()) : null;
        if (spec.head()) {
            outputNorm = vector(TensorNames.OUTPUT_NORM, dim);
            output = product(spec.weights().tensor(TensorNames.OUTPUT).isPresent()
                    ? matrix(TensorNames.OUTPUT, dim, c.vocabSize())
                    : matrix(TensorNames.TOKEN_EMBEDDING, dim, c.vocabSize())); // tied head
        } else {
            outputNorm = null;
            output = null;
        }
        layers = new Layer[spec.layers().size()];
        for (int i = 0; i < layers.length; i++) {
            int l = spec.layers().start() + i;
            layers[i] = new Layer(
                    vector(TensorNames.attnNorm(l), dim),
                    product(matrix(TensorNames.attnQ(l), dim, dim)),
                    product(matrix(TensorNames.attnK(l), dim, c.kvDim())),
                    product(matrix(TensorNames.attnV(l), dim, c.kvDim())),
                    product(matrix(TensorNames.attnOutput(l), dim, dim)),
                    vector(TensorNames.ffnNorm(l), dim),
                    product(matrix(TensorNames.ffnGate(l), dim, c.ffnDim())),
                    product(matrix(TensorNames.ffnUp(l), dim, c.ffnDim())),
                    product(matrix(TensorNames.ffnDown(l), c.ffnDim(), dim)));
        }
        if (unpacked > 0) {
            LOG.warning(("cpu backend, %s: %d Q8_0 matrices (%.2f GB) keep the file's row layout for products, because the heap"
                    + " (max %.2f GB) has no room to repack them; batched decoding is slower for them. Raise -Xmx (BRT_JAVA_OPTS),"
                    + " or set brt.cpu.repack=false to silence this.").formatted(spec.describe(), unpacked, unpackedBytes / 1e9,
                    Runtime.getRuntime().maxMemory() / 1e9));
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

    /**
     * A matrix used in products: repacked ({@link Q8Interleaved}) where its type has a faster layout for them and the
     * heap has room for the copy with a quarter of the maximum heap to spare. Products then no longer read the mapped
     * file for it, so its pages there are given back ({@link MemorySegment#unload}; a row lookup reads them again).
     */
    private WeightMatrix product(WeightMatrix m) {
        // Simd first: Q8Interleaved's vector species must not load without the Vector API.
        if (!REPACK || !Simd.ENABLED || Simd.LANES != 16 || !Q8Interleaved.fits(m)) {
            return m;
        }
        long bytes = Q8Interleaved.byteSizeFor(m);
        Runtime rt = Runtime.getRuntime();
        long headroom = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()) - rt.maxMemory() / 4;
        if (bytes > headroom) {
            unpacked++;
            unpackedBytes += bytes;
            return m;
        }
        m.usePacked(Q8Interleaved.repack((Q8Matrix) m));
        residentBytes += m.packed().byteSize();
        mappedBytes -= m.byteSize();
        if (m.data.isMapped()) {
            m.data.unload();
        }
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
