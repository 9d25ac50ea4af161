package dev.baremetalrt.core.engine;

/** Why a generation ended (named as in the OpenAI API). */
public enum FinishReason {
    /** End-of-sequence token or a stop string. */
    STOP,
    /** {@code maxTokens} or the context capacity was reached. */
    LENGTH,
    /** The caller cancelled. */
    CANCELLED
}
