package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.OptionalLong;

/**
 * One generation for a {@link TokenGenerator}: the prompt as token ids (core has tokenized it and rendered the
 * chat template), limits and sampling.
 *
 * @param requestId         names the request in logs and errors
 * @param promptTokens      the prompt, BOS included when the model wants one; not empty
 * @param maxTokens         most tokens to generate; positive
 * @param temperature       0 for greedy
 * @param topK              0 = off
 * @param topP              1 = off
 * @param minP              0 = off
 * @param repetitionPenalty 1 = off
 * @param presencePenalty   0 = off
 * @param frequencyPenalty  0 = off
 * @param seed              for reproducible sampling; empty = the engine's choice
 * @param endTokenIds       ids that end the generation and are not returned (EOS, end of turn); the engine
 *                          may stop at only the first if it supports one, the caller checks the rest
 * @param stopSequences     token sequences that end the generation; they are returned
 */
public record GenerationSpec(String requestId, int[] promptTokens, int maxTokens, float temperature, int topK, float topP, float minP,
        float repetitionPenalty, float presencePenalty, float frequencyPenalty, OptionalLong seed, int[] endTokenIds, List<int[]> stopSequences) {
    public GenerationSpec {
        requireNonNull(requestId, "requestId is null");
        requireNonNull(promptTokens, "promptTokens is null");
        requireNonNull(seed, "seed is null");
        requireNonNull(endTokenIds, "endTokenIds is null");
        requireNonNull(stopSequences, "stopSequences is null");
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("request %s: the prompt is empty".formatted(requestId));
        }
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("request %s: maxTokens must be positive, got %d".formatted(requestId, maxTokens));
        }
        promptTokens = promptTokens.clone();
        endTokenIds = endTokenIds.clone();
        stopSequences = stopSequences.stream().map(s -> {
            if (s.length == 0) {
                throw new IllegalArgumentException("request %s: a stop sequence is empty".formatted(requestId));
            }
            return s.clone();
        }).toList();
    }

    /** Greedy, no penalties, no stop sequences. */
    public static GenerationSpec greedy(String requestId, int[] promptTokens, int maxTokens, int... endTokenIds) {
        return new GenerationSpec(requestId, promptTokens, maxTokens, 0, 0, 1, 0, 1, 0, 0, OptionalLong.empty(), endTokenIds, List.of());
    }

    @Override
    public int[] promptTokens() {
        return promptTokens.clone();
    }

    @Override
    public int[] endTokenIds() {
        return endTokenIds.clone();
    }

    @Override
    public List<int[]> stopSequences() {
        return stopSequences.stream().map(int[]::clone).toList();
    }
}
