package dev.baremetalrt.backend.cuda;

import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightSource;
import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Random weights of {@code layers} decoder layers of a given shape, for {@link CudaBenchmark}: one layer's
 * tensors are generated (values around +-0.02, valid scales) and every layer shares them, so an 80-layer
 * 70B stack needs one layer of host memory. Decoder layers only: no embedding or head.
 */
final class SyntheticLayers implements WeightSource, AutoCloseable {
    private final ModelConfig config;
    private final WeightType type;
    private final Arena arena = Arena.ofShared();
    private final Map<String, MemorySegment> shared = new HashMap<>();

    SyntheticLayers(ModelConfig config, WeightType type) {
        this.config = config;
        this.type = type;
        SplittableRandom random = new SplittableRandom(42);
        int dim = config.dim();
        shared.put("attn_norm", norm(dim));
        shared.put("ffn_norm", norm(dim));
        shared.put("q", matrix(dim, dim, random));
        shared.put("k", matrix(dim, config.kvDim(), random));
        shared.put("v", matrix(dim, config.kvDim(), random));
        shared.put("o", matrix(dim, dim, random));
        shared.put("gate", matrix(dim, config.ffnDim(), random));
        shared.put("up", matrix(dim, config.ffnDim(), random));
        shared.put("down", matrix(config.ffnDim(), dim, random));
    }

    private MemorySegment norm(int n) {
        MemorySegment s = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, 1f);
        }
        return s;
    }

    /** A [rows, cols] tensor of this type: random values and scales that keep activations bounded. */
    private MemorySegment matrix(int cols, int rows, SplittableRandom random) {
        long elements = (long) cols * rows;
        MemorySegment s = arena.allocate(type.byteSize(elements), 64);
        long words = s.byteSize() / 8;
        for (long i = 0; i < words; i++) {
            s.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        }
        short scale = Float.floatToFloat16(0.02f / 127 * (float) Math.sqrt(4096.0 / cols));
        switch (type) {
            case F16 -> {
                for (long i = 0; i < elements; i++) {
                    s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((random.nextInt() >> 8) * (0.03f / (1 << 23))));
                }
            }
            case Q8_0, Q4_0 -> {
                long blocks = elements / 32;
                for (long b = 0; b < blocks; b++) {
                    s.set(ValueLayout.JAVA_SHORT_UNALIGNED, b * type.bytesPerBlock(), scale);
                }
            }
            default -> throw new IllegalArgumentException("the benchmark generates F16, Q8_0 and Q4_0, not " + type);
        }
        return s;
    }

    @Override
    public String modelId() {
        return "synthetic-%d-layers-%dx%d-%s".formatted(config.layerCount(), config.dim(), config.ffnDim(), type);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Optional<WeightTensor> tensor(String name) {
        for (int l = 0; l < config.layerCount(); l++) {
            int dim = config.dim();
            int kv = config.kvDim();
            int ffn = config.ffnDim();
            if (name.equals(TensorNames.attnNorm(l))) return Optional.of(new WeightTensor(name, WeightType.F32, new long[] {dim}, shared.get("attn_norm")));
            if (name.equals(TensorNames.ffnNorm(l))) return Optional.of(new WeightTensor(name, WeightType.F32, new long[] {dim}, shared.get("ffn_norm")));
            if (name.equals(TensorNames.attnQ(l))) return Optional.of(new WeightTensor(name, type, new long[] {dim, dim}, shared.get("q")));
            if (name.equals(TensorNames.attnK(l))) return Optional.of(new WeightTensor(name, type, new long[] {dim, kv}, shared.get("k")));
            if (name.equals(TensorNames.attnV(l))) return Optional.of(new WeightTensor(name, type, new long[] {dim, kv}, shared.get("v")));
            if (name.equals(TensorNames.attnOutput(l))) return Optional.of(new WeightTensor(name, type, new long[] {dim, dim}, shared.get("o")));
            if (name.equals(TensorNames.ffnGate(l))) return Optional.of(new WeightTensor(name, type, new long[] {dim, ffn}, shared.get("gate")));
            if (name.equals(TensorNames.ffnUp(l))) return Optional.of(new WeightTensor(name, type, new long[] {dim, ffn}, shared.get("up")));
            if (name.equals(TensorNames.ffnDown(l))) return Optional.of(new WeightTensor(name, type, new long[] {ffn, dim}, shared.get("down")));
        }
        return Optional.empty();
    }

    /** Bytes of the seven matrices of one layer. */
    long layerMatrixBytes() {
        return shared.entrySet().stream().filter(e -> !e.getKey().endsWith("norm")).mapToLong(e -> e.getValue().byteSize()).sum();
    }

    /** Multiply-adds of one layer's matrices per position. */
    long layerMatrixParameters() {
        long dim = config.dim();
        return 2 * dim * dim + 2 * dim * config.kvDim() + 3 * dim * config.ffnDim();
    }

    @Override
    public void close() {
        arena.close();
    }
}
