package dev.baremetalrt.core.engine;

/** Receives a generation as it happens, from one thread at a time: the generating thread, or a scheduler's delivery thread. */
public interface TokenSink {
    /** Newly completed text (never half a character, never part of a stop string). */
    void onText(String text);

    /** Each generated token id, before its text. */
    default void onToken(int token) {}

    /** When the request asked for log-probabilities: each token's, just before {@link #onToken}. */
    default void onLogprobs(TokenLogprobs logprobs) {}

    /** Polled between steps; returning true ends the generation with {@link FinishReason#CANCELLED}. */
    default boolean isCancelled() {
        return false;
    }

    /** A sink that ignores everything. */
    static TokenSink discard() {
        return text -> {};
    }
}
