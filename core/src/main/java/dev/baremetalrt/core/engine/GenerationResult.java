package dev.baremetalrt.core.engine;

/**
 * What a generation produced.
 *
 * @param tokens          every id: prompt then generated
 * @param promptLength    how many of {@code tokens} are the prompt
 * @param text            generated text (stop string removed)
 * @param finishReason    why it ended
 * @param prefillNanos    time to process the prompt and pick the first token
 * @param decodeNanos     time for the remaining tokens
 */
public record GenerationResult(int[] tokens, int promptLength, String text, FinishReason finishReason, long prefillNanos, long decodeNanos) {
    public GenerationResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    public int generatedCount() {
        return tokens.length - promptLength;
    }

    /** Prompt tokens per second during prefill. */
    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptLength * 1e9 / prefillNanos;
    }

    /** Generated tokens per second after the first one. */
    public double decodeTokensPerSecond() {
        int decoded = generatedCount() - 1;
        return decoded <= 0 || decodeNanos == 0 ? 0 : decoded * 1e9 / decodeNanos;
    }
}
