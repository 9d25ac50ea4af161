package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

/**
 * The positions one session advances by in one {@link Shard#forward} call.
 *
 * @param sessionId     the session
 * @param startPosition position of the first input; must equal the session's cached length
 * @param tokens        token ids, for a shard that embeds; otherwise null
 * @param hidden        hidden states {@code [positions, dim]} from the previous stage; otherwise null
 * @param logits        which positions a head shard returns logits for
 */
public record SessionStep(String sessionId, int startPosition, int[] tokens, TensorPayload hidden, Logits logits) {

    /** Which positions get logits on the last stage. */
    public enum Logits {
        /** Only the last position of the step (generation). */
        LAST,
        /** Every position of the step (scoring, tests). */
        ALL
    }

    public SessionStep {
        requireNonNull(sessionId, "sessionId is null");
        requireNonNull(logits, "logits is null");
        if (startPosition < 0) {
            throw new IllegalArgumentException("startPosition must be >= 0, got " + startPosition);
        }
        if ((tokens == null) == (hidden == null)) {
            throw new IllegalArgumentException("session %s: a step carries either token ids or hidden states".formatted(sessionId));
        }
        if (tokens != null) {
            tokens = tokens.clone();
        }
        int count = tokens != null ? tokens.length : hidden.shape().length == 0 ? 0 : hidden.dim(0);
        if (count == 0) {
            throw new IllegalArgumentException("session %s: a step needs at least one position".formatted(sessionId));
        }
    }

    public static SessionStep ofTokens(String sessionId, int startPosition, int[] tokens, Logits logits) {
        return new SessionStep(sessionId, startPosition, tokens, null, logits);
    }

    public static SessionStep ofHidden(String sessionId, int startPosition, TensorPayload hidden, Logits logits) {
        return new SessionStep(sessionId, startPosition, null, hidden, logits);
    }

    @Override
    public int[] tokens() {
        return tokens == null ? null : tokens.clone();
    }

    /** Token id at index {@code i} (no copy). */
    public int token(int i) {
        return tokens[i];
    }

    /** Number of positions this step covers. */
    public int positions() {
        return tokens != null ? tokens.length : hidden.shape().length == 0 ? 0 : hidden.dim(0);
    }

    /** The same step with hidden states as input (what the next stage receives). */
    public SessionStep withHidden(TensorPayload next) {
        return new SessionStep(sessionId, startPosition, null, next, logits);
    }
}
