package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * How a model stretches RoPE beyond its training context, reduced to one divisor per rotated pair: pair
 * {@code i} turns by {@code position * theta^(-2i/ropeDim) / divisor[i]}. This is the form llama.cpp
 * stores ({@code rope_freqs.weight}) and covers Llama 3.1's {@code llama3} scaling and {@code linear}
 * scaling; backends only ever apply {@link ModelConfig#ropeInverseFrequencies()}. Immutable.
 */
public final class RopeScaling {
    /** No scaling: every divisor is 1. */
    public static final RopeScaling NONE = new RopeScaling("none", new float[0]);

    private final String type;
    private final float[] divisors;

    private RopeScaling(String type, float[] divisors) {
        this.type = requireNonNull(type, "type is null");
        this.divisors = divisors.clone();
        for (float d : this.divisors) {
            if (!(d > 0) || Float.isInfinite(d)) {
                throw new IllegalArgumentException("RoPE frequency divisors must be positive and finite, got " + d);
            }
        }
    }

    /** Divisors given directly, e.g. read from a GGUF {@code rope_freqs.weight} tensor. */
    public static RopeScaling ofDivisors(String type, float[] divisors) {
        requireNonNull(divisors, "divisors is null");
        return new RopeScaling(type, divisors);
    }

    /** Positions divided by {@code factor} for every pair (HF {@code "type": "linear"}). */
    public static RopeScaling linear(float factor, int ropeDim) {
        float[] d = new float[ropeDim / 2];
        Arrays.fill(d, factor);
        return new RopeScaling("linear", d);
    }

    /**
     * Llama 3.1's {@code llama3} scaling, as transformers' {@code _compute_llama3_parameters} defines it:
     * wavelengths shorter than {@code originalContext / highFreqFactor} are kept, longer than
     * {@code originalContext / lowFreqFactor} are divided by {@code factor}, and those in between are
     * interpolated smoothly.
     */
    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalContext, double theta, int ropeDim) {
        if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalContext <= 0) {
            throw new IllegalArgumentException("llama3 rope scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor and a positive "
                    + "original_max_position_embeddings; got factor %s, low %s, high %s, original %d".formatted(factor, lowFreqFactor, highFreqFactor, originalContext));
        }
        double lowFreqWavelength = originalContext / lowFreqFactor;
        double highFreqWavelength = originalContext / highFreqFactor;
        float[] d = new float[ropeDim / 2];
        for (int i = 0; i < d.length; i++) {
            double inverseFrequency = Math.pow(theta, -2.0 * i / ropeDim);
            double wavelength = 2 * Math.PI / inverseFrequency;
            double scaled;
            if (wavelength < highFreqWavelength) {
                scaled = inverseFrequency;
            } else if (wavelength > lowFreqWavelength) {
                scaled = inverseFrequency / factor;
            } else {
                double smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                scaled = (1 - smooth) * inverseFrequency / factor + smooth * inverseFrequency;
            }
            d[i] = (float) (inverseFrequency / scaled);
        }
        return new RopeScaling("llama3", d);
    }

    /** {@code none}, {@code linear}, {@code llama3}, or the name a model file gave. */
    public String type() {
        return type;
    }

    /** Whether positions are used as they are. */
    public boolean isNone() {
        return divisors.length == 0;
    }

    /** Divisor of pair {@code i} (1 when there is no scaling). */
    public float divisor(int i) {
        return divisors.length == 0 ? 1f : divisors[i];
    }

    /** Number of divisors (0 for {@link #NONE}). */
    public int size() {
        return divisors.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RopeScaling r && type.equals(r.type) && Arrays.equals(divisors, r.divisors);
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + Arrays.hashCode(divisors);
    }

    @Override
    public String toString() {
        return isNone() ? "none" : "%s (divisors %s .. %s)".formatted(type, divisors[0], divisors[divisors.length - 1]);
    }
}
