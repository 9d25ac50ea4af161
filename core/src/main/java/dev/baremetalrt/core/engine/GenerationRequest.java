package dev.baremetalrt.core.engine;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.sampling.SamplingParams;

/**
 * One generation.
 *
 * @param promptTokens prompt ids, BOS included when wanted; at least one
 * @param maxTokens    most tokens to generate
 * @param sampling     how to pick tokens (stop strings included)
 */
public record GenerationRequest(int[] promptTokens, int maxTokens, SamplingParams sampling) {
    public GenerationRequest {
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
