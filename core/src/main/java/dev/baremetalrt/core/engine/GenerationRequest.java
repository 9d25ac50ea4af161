package dev.baremetalrt.core.engine;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.sampling.SamplingParams;

/**
 * One generation.
 *
 * @param promptTokens prompt ids, BOS included when wanted; at least one
 * @param maxTokens    most tokens to generate
 * @param sampling     how to pick tokens (stop strings included)
 * @param logprobs     -1: no log-probabilities; 0..20: report each token's, with that many alternatives
 *                     (see {@link TokenSink#onLogprobs})
 */
public record GenerationRequest(int[] promptTokens, int maxTokens, SamplingParams sampling, int logprobs) {
    public static final int MAX_TOP_LOGPROBS = 20;

    public GenerationRequest(int[] promptTokens, int maxTokens, SamplingParams sampling) {
        this(promptTokens, maxTokens, sampling, -1);
    }

    public GenerationRequest {
        if (logprobs < -1 || logprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("logprobs must be -1 (off) or 0.." + MAX_TOP_LOGPROBS + ", got " + logprobs);
        }
        requireNonNull(promptTokens, "promptTokens is null");
        requireNonNull(sampling, "sampling is null");
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token (add BOS for an empty prompt)");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must be >= 0, got " + maxTokens);
        }
        promptTokens = promptTokens.clone();
    }

    @Override
    public int[] promptTokens() {
        return promptTokens.clone();
    }
}
