package dev.baremetalrt.spi;

import java.util.Arrays;

/** The input checks {@link Shard#forward} documents, shared by backends so that they refuse the same way. */
public final class StepChecks {
    private StepChecks() {}

    /**
     * Refuses a batch of more sessions than the backend declares in
     * {@link BackendCapabilities#maxBatchSessions()}.
     *
     * @throws SessionException naming the shard, the batch size and the limit
     */
    public static void checkBatch(StepBatch batch, ShardSpec spec, String backendId, int maxBatchSessions) {
        if (batch.steps().size() > maxBatchSessions) {
            throw new SessionException("%s: a batch of %d sessions exceeds the %s backend's limit of %d"
                    .formatted(spec.describe(), batch.steps().size(), backendId, maxBatchSessions));
        }
    }

    /**
     * Refuses a step that does not continue a cache of {@code cachedLength} positions, runs past the spec's
     * context capacity, or carries the wrong kind or width of input for the spec (token ids outside the
     * vocabulary, hidden states to an embedding stage, tokens to a later stage, hidden states of another
     * width).
     *
     * @throws SessionException naming the session and the shard
     */
    public static void check(SessionStep step, ShardSpec spec, int cachedLength) {
        ModelConfig config = spec.weights().config();
        if (step.startPosition() != cachedLength) {
            throw new SessionException("%s: step starts at position %d but the cache holds %d positions".formatted(where(step, spec), step.startPosition(), cachedLength));
        }
        if (cachedLength + step.positions() > spec.contextCapacity()) {
            throw new SessionException("%s: %d + %d positions exceed the context capacity of %d".formatted(where(step, spec), cachedLength, step.positions(), spec.contextCapacity()));
        }
        if (spec.embedding()) {
            if (step.hidden() != null) {
                throw new SessionException(where(step, spec) + ": the first stage needs token ids, got hidden states");
            }
            for (int i = 0; i < step.positions(); i++) {
                if (step.token(i) < 0 || step.token(i) >= config.vocabSize()) {
                    throw new SessionException("%s: token id %d is outside the vocabulary of %d".formatted(where(step, spec), step.token(i), config.vocabSize()));
                }
            }
        } else {
            TensorPayload h = step.hidden();
            if (h == null) {
                throw new SessionException(where(step, spec) + ": this stage needs hidden states, got token ids");
            }
            if (h.shape().length != 2 || h.dim(1) != config.dim()) {
                throw new SessionException("%s: hidden states have shape %s, expected [%d, %d]".formatted(where(step, spec), Arrays.toString(h.shape()), step.positions(), config.dim()));
            }
        }
    }

    /** Names the session and shard in an error; built only when a check fails (formatting costs microseconds per step). */
    private static String where(SessionStep step, ShardSpec spec) {
        return "session %s on %s".formatted(step.sessionId(), spec.describe());
    }
}
