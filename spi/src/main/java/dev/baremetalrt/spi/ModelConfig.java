package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

/**
 * Hyperparameters of a Llama-family decoder.
 *
 * @param architecture  architecture name from the model file (e.g. {@code llama})
 * @param dim           hidden size (embedding length)
 * @param ffnDim        feed-forward (intermediate) size
 * @param layerCount    number of decoder layers
 * @param headCount     attention heads for queries
 * @param kvHeadCount   attention heads for keys and values (GQA when smaller than {@code headCount})
 * @param vocabSize     vocabulary size (rows of the embedding and the output head)
 * @param contextLength maximum context the model was built for
 * @param rmsNormEps    epsilon of RMSNorm
 * @param ropeTheta     RoPE frequency base
 * @param ropeDim       number of dimensions of each head that RoPE rotates (usually the head size)
 */
public record ModelConfig(
        String architecture,
        int dim,
        int ffnDim,
        int layerCount,
        int headCount,
        int kvHeadCount,
        int vocabSize,
        int contextLength,
        float rmsNormEps,
        float ropeTheta,
        int ropeDim) {

    public ModelConfig {
        requireNonNull(architecture, "architecture is null");
        positive("dim", dim);
        positive("ffnDim", ffnDim);
        positive("layerCount", layerCount);
        positive("headCount", headCount);
        positive("kvHeadCount", kvHeadCount);
        positive("vocabSize", vocabSize);
        positive("contextLength", contextLength);
        if (dim % headCount != 0) {
            throw new IllegalArgumentException("dim %d is not a multiple of headCount %d".formatted(dim, headCount));
        }
        if (headCount % kvHeadCount != 0) {
            throw new IllegalArgumentException("headCount %d is not a multiple of kvHeadCount %d".formatted(headCount, kvHeadCount));
        }
        int headDim = dim / headCount;
        if (ropeDim <= 0 || ropeDim > headDim || ropeDim % 2 != 0) {
            throw new IllegalArgumentException("ropeDim %d must be even and in (0, headDim %d]".formatted(ropeDim, headDim));
        }
        if (!(rmsNormEps > 0) || !(ropeTheta > 0)) {
            throw new IllegalArgumentException("rmsNormEps (%s) and ropeTheta (%s) must be positive".formatted(rmsNormEps, ropeTheta));
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /** Size of one attention head. */
    public int headDim() {
        return dim / headCount;
    }

    /** Width of the key and value projections. */
    public int kvDim() {
        return kvHeadCount * headDim();
    }

    /** Query heads sharing one key/value head. */
    public int groupSize() {
        return headCount / kvHeadCount;
    }

    /** One line for logs: {@code llama dim=64 layers=5 heads=8/4 ffn=172 vocab=512 ctx=2048}. */
    public String summary() {
        return "%s dim=%d layers=%d heads=%d/%d ffn=%d vocab=%d ctx=%d".formatted(
                architecture, dim, layerCount, headCount, kvHeadCount, ffnDim, vocabSize, contextLength);
    }
}
