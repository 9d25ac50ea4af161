package dev.baremetalrt.core.sampling;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.OptionalLong;

/**
 * How to pick tokens. {@code temperature == 0} is greedy (argmax; the other settings except penalties
 * are ignored). Filters apply in llama.cpp's order: penalties, top-k, top-p, min-p, then temperature.
 *
 * @param temperature       0 for greedy; otherwise logits are divided by it before sampling
 * @param topK              keep the k most likely tokens; 0 = off
 * @param topP              keep the smallest set whose probability reaches p; 1 = off
 * @param minP              drop tokens less likely than {@code minP} times the most likely; 0 = off
 * @param repetitionPenalty divide positive (multiply negative) logits of recent tokens; 1 = off
 * @param presencePenalty   subtract from logits of tokens already generated; 0 = off
 * @param frequencyPenalty  subtract per occurrence of tokens already generated; 0 = off
 * @param penaltyWindow     how many recent tokens the penalties look at
 * @param seed              seed for reproducible sampling; empty = random
 * @param stop              strings that end generation (not included in the output)
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repetitionPenalty,
                             float presencePenalty, float frequencyPenalty, int penaltyWindow, OptionalLong seed, List<String> stop) {

    public SamplingParams {
        requireNonNull(seed, "seed is null");
        stop = List.copyOf(requireNonNull(stop, "stop is null"));
        check(temperature >= 0 && temperature <= 100, "temperature must be in [0, 100], got " + temperature);
        check(topK >= 0, "topK must be >= 0, got " + topK);
        check(topP > 0 && topP <= 1, "topP must be in (0, 1], got " + topP);
        check(minP >= 0 && minP <= 1, "minP must be in [0, 1], got " + minP);
        check(repetitionPenalty > 0, "repetitionPenalty must be positive, got " + repetitionPenalty);
        check(Math.abs(presencePenalty) <= 2 && Math.abs(frequencyPenalty) <= 2, "presence/frequency penalties must be in [-2, 2]");
        check(penaltyWindow >= 0, "penaltyWindow must be >= 0, got " + penaltyWindow);
        for (String s : stop) {
            check(!s.isEmpty(), "stop strings must not be empty");
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Greedy decoding, no penalties, no stop strings. */
    public static SamplingParams greedy() {
        return builder().temperature(0).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    /** Builder with llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalties. */
    public static final class Builder {
        private float temperature = 0.8f;
        private int topK = 40;
        private float topP = 0.95f;
        private float minP = 0.05f;
        private float repetitionPenalty = 1f;
        private float presencePenalty;
        private float frequencyPenalty;
        private int penaltyWindow = 64;
        private OptionalLong seed = OptionalLong.empty();
        private List<String> stop = List.of();

        public Builder temperature(float v) {
            temperature = v;
            return this;
        }

        public Builder topK(int v) {
            topK = v;
            return this;
        }

        public Builder topP(float v) {
            topP = v;
            return this;
        }

        public Builder minP(float v) {
            minP = v;
            return this;
        }

        public Builder repetitionPenalty(float v) {
            repetitionPenalty = v;
            return this;
        }

        public Builder presencePenalty(float v) {
            presencePenalty = v;
            return this;
        }

        public Builder frequencyPenalty(float v) {
            frequencyPenalty = v;
            return this;
        }

        public Builder penaltyWindow(int v) {
            penaltyWindow = v;
            return this;
        }

        public Builder seed(long v) {
            seed = OptionalLong.of(v);
            return this;
        }

        public Builder stop(List<String> v) {
            stop = v;
            return this;
        }

        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed, stop);
        }
    }
}
