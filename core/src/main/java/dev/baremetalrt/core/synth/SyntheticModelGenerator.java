package dev.baremetalrt.core.synth;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.gguf.GgufWriter;
import dev.baremetalrt.spi.RopeScaling;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Writes a GGUF model of a {@link ModelShape} with random weights ({@link SyntheticWeights}). Norm tensors
 * are always F32, as llama.cpp writes them.
 */
public final class SyntheticModelGenerator {
    private SyntheticModelGenerator() {}

    /** Writes the model to {@code out}. */
    public static void write(ModelShape shape, WeightType type, long seed, Path out) {
        write(shape, type, seed, RopeScaling.NONE, out);
    }

    /**
     * Writes the model with RoPE scaling, stored as llama.cpp stores Llama 3.1's: a {@code rope_freqs.weight}
     * tensor of divisors.
     */
    public static void write(ModelShape shape, WeightType type, long seed, RopeScaling ropeScaling, Path out) {
        requireNonNull(shape, "shape is null");
        requireNonNull(ropeScaling, "ropeScaling is null");
        requireNonNull(type, "type is null");
        if (type.isQuantized() && (shape.dim() % type.blockSize() != 0 || shape.ffnDim() % type.blockSize() != 0)) {
            throw new IllegalArgumentException("shape %s: dim %d and ffn %d must be multiples of %d for %s"
                    .formatted(shape.name(), shape.dim(), shape.ffnDim(), type.blockSize(), type));
        }
        SyntheticVocabulary vocab = new SyntheticVocabulary(shape.vocabSize());
        int kvDim = shape.dim() / shape.heads() * shape.kvHeads();
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "synthetic-" + shape.name())
                .putString("general.description", "random weights from seed " + seed + " (BareMetalRT synthetic-model generator)")
                .putUInt32("general.alignment", 32)
                .putUInt32("llama.context_length", shape.contextLength())
                .putUInt32("llama.embedding_length", shape.dim())
                .putUInt32("llama.block_count", shape.layers())
                .putUInt32("llama.feed_forward_length", shape.ffnDim())
                .putUInt32("llama.attention.head_count", shape.heads())
                .putUInt32("llama.attention.head_count_kv", shape.kvHeads())
                .putUInt32("llama.rope.dimension_count", shape.dim() / shape.heads())
                .putFloat32("llama.rope.freq_base", shape.ropeTheta())
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .putString("tokenizer.ggml.model", "llama")
                .putStrings("tokenizer.ggml.tokens", vocab.tokens)
                .putFloats("tokenizer.ggml.scores", vocab.scores)
                .putInt32s("tokenizer.ggml.token_type", vocab.types)
                .putUInt32("tokenizer.ggml.bos_token_id", 1)
                .putUInt32("tokenizer.ggml.eos_token_id", 2)
                .putUInt32("tokenizer.ggml.unknown_token_id", 0)
                .putBool("tokenizer.ggml.add_bos_token", true);
        fileType(type).ifPresent(ft -> w.putUInt32("general.file_type", ft));
        // Tensor indices pick each matrix's random streams; SyntheticWeights defines them for both formats.
        interface Matrix {
            void add(String name, long[] dims, int tensorIndex);
        }
        Matrix matrix = (name, dims, tensorIndex) -> w.addTensor(name, type, dims, random(type, (int) dims[0], (int) dims[1], seed, tensorIndex));
        java.util.function.Consumer<String> norm = name -> w.addTensor(name, WeightType.F32, new long[] {shape.dim()}, ones(shape.dim()));
        matrix.add(TensorNames.TOKEN_EMBEDDING, new long[] {shape.dim(), shape.vocabSize()}, 0);
        for (int l = 0; l < shape.layers(); l++) {
            norm.accept(TensorNames.attnNorm(l));
            matrix.add(TensorNames.attnQ(l), new long[] {shape.dim(), shape.dim()}, SyntheticWeights.matrixIndex(l, 0));
            matrix.add(TensorNames.attnK(l), new long[] {shape.dim(), kvDim}, SyntheticWeights.matrixIndex(l, 1));
            matrix.add(TensorNames.attnV(l), new long[] {shape.dim(), kvDim}, SyntheticWeights.matrixIndex(l, 2));
            matrix.add(TensorNames.attnOutput(l), new long[] {shape.dim(), shape.dim()}, SyntheticWeights.matrixIndex(l, 3));
            norm.accept(TensorNames.ffnNorm(l));
            matrix.add(TensorNames.ffnGate(l), new long[] {shape.dim(), shape.ffnDim()}, SyntheticWeights.matrixIndex(l, 4));
            matrix.add(TensorNames.ffnUp(l), new long[] {shape.dim(), shape.ffnDim()}, SyntheticWeights.matrixIndex(l, 5));
            matrix.add(TensorNames.ffnDown(l), new long[] {shape.ffnDim(), shape.dim()}, SyntheticWeights.matrixIndex(l, 6));
        }
        if (!ropeScaling.isNone()) {
            float[] divisors = new float[shape.dim() / shape.heads() / 2];
            for (int i = 0; i < divisors.length; i++) {
                divisors[i] = ropeScaling.divisor(i);
            }
            w.addTensor(TensorNames.ROPE_FREQS, WeightType.F32, new long[] {divisors.length}, floats(divisors));
        }
        norm.accept(TensorNames.OUTPUT_NORM);
        matrix.add(TensorNames.OUTPUT, new long[] {shape.dim(), shape.vocabSize()}, SyntheticWeights.outputIndex(shape.layers()));
        w.write(out);
    }

    /** llama.cpp's {@code llama_ftype} for a file mostly of this type; Q8_K has none (llama.cpp never writes whole files of it). */
    private static java.util.OptionalInt fileType(WeightType type) {
        return switch (type) {
            case F32 -> java.util.OptionalInt.of(0);
            case F16 -> java.util.OptionalInt.of(1);
            case Q4_0 -> java.util.OptionalInt.of(2);
            case Q8_0 -> java.util.OptionalInt.of(7);
            case Q4_K -> java.util.OptionalInt.of(14);
            case Q5_K -> java.util.OptionalInt.of(16);
            case Q6_K -> java.util.OptionalInt.of(18);
            case Q8_K -> java.util.OptionalInt.empty();
            case BF16 -> java.util.OptionalInt.of(32);
        };
    }

    private static GgufWriter.TensorData ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return floats(v);
    }

    private static GgufWriter.TensorData floats(float[] values) {
        return out -> {
            ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                buf.putFloat(v);
            }
            SyntheticWeights.writeFully(out, buf.flip());
        };
    }

    private static GgufWriter.TensorData random(WeightType type, int cols, int rows, long seed, int tensorIndex) {
        return out -> SyntheticWeights.writeRows(type, cols, rows, seed, tensorIndex, java.util.function.IntUnaryOperator.identity(), out);
    }

}
