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
 * @param ropeScaling   how RoPE frequencies are stretched for long contexts ({@link RopeScaling#NONE} for most models)
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
        int ropeDim,
        RopeScaling ropeScaling) {

    public ModelConfig {
        requireNonNull(architecture, "architecture is null");
        requireNonNull(ropeScaling, "ropeScaling is null");
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
        if (!ropeScaling.isNone() && ropeScaling.size() != ropeDim / 2) {
            throw new IllegalArgumentException("RoPE scaling has %d divisors, but ropeDim %d rotates %d pairs".formatted(ropeScaling.size(), ropeDim, ropeDim / 2));
        }
    }

    /** A model without RoPE scaling. */
    public ModelConfig(String architecture, int dim, int ffnDim, int layerCount, int headCount, int kvHeadCount, int vocabSize,
            int contextLength, float rmsNormEps, float ropeTheta, int ropeDim) {
        this(architecture, dim, ffnDim, layerCount, headCount, kvHeadCount, vocabSize, contextLength, rmsNormEps, ropeTheta, ropeDim, RopeScaling.NONE);
    }

    /** The same hyperparameters with another RoPE scaling. */
    public ModelConfig withRopeScaling(RopeScaling scaling) {
        return new ModelConfig(architecture, dim, ffnDim, layerCount, headCount, kvHeadCount, vocabSize, contextLength, rmsNormEps, ropeTheta, ropeDim, scaling);
    }

    /**
     * The angle per position of each rotated pair, {@code theta^(-2i/ropeDim) / divisor[i]}, in double
     * precision: what every backend multiplies positions by.
     */
    public double[] ropeInverseFrequencies() {
        double[] f = new double[ropeDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = Math.pow(ropeTheta, -2.0 * i / ropeDim) / ropeScaling.divisor(i);
        }
        return f;
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
        return "%s dim=%d layers=%d heads=%d/%d ffn=%d vocab=%d ctx=%d%s".formatted(
                architecture, dim, layerCount, headCount, kvHeadCount, ffnDim, vocabSize, contextLength,
                ropeScaling.isNone() ? "" : " rope-scaling=" + ropeScaling.type());
    }
}
