package dev.baremetalrt.spi;

/**
 * A loaded layer range. Keeps one KV cache per session. Thread-safe: calls for different sessions may
 * run concurrently; a backend may serialise them.
 *
 * <p>Session life cycle: {@link #openSession} creates an empty cache; each {@link #forward} appends the
 * step's positions, which must continue the session's length exactly ({@code startPosition == length});
 * {@link #truncate} drops positions from the end; {@link #release} frees the cache.
 */
public interface Shard extends AutoCloseable {
    /** What was loaded. */
    ShardSpec spec();

    /**
     * Creates an empty KV cache for a session.
     *
     * @throws SessionException when the id is already open here
     */
    void openSession(String sessionId);

    /**
     * Runs the shard's layers over every step of the batch, in one pass where the backend can.
     * A step's input is token ids when this shard embeds, hidden states otherwise. The result holds, per
     * step in the same order, hidden states {@code [positions, dim]} or, on a head shard, logits
     * {@code [n, vocab]} for the positions the step asked for.
     *
     * @throws SessionException for an unknown session, a position that does not continue the cache, input
     *                          of the wrong kind or size, or positions beyond {@code contextCapacity}
     * @throws BackendException when the shard is closed
     */
    StepResult forward(StepBatch batch);

    /**
     * Keeps the first {@code length} positions of a session's cache and drops the rest.
     *
     * @throws SessionException for an unknown session or a length beyond the session's current length
     */
    void truncate(String sessionId, int length);

    /** Frees a session's cache. Unknown ids are ignored (release is idempotent). */
    void release(String sessionId);

    /** Positions currently cached for a session. @throws SessionException when unknown */
    int sessionLength(String sessionId);

    /**
     * The engine's own generation loop, for whole-model backends that generate tokens themselves (see
     * {@link TokenGenerator}); empty for backends that run {@link #forward} steps.
     */
    default java.util.Optional<TokenGenerator> generator() {
        return java.util.Optional.empty();
    }

    /** Memory held now. */
    default MemoryReport memory() {
        return MemoryReport.EMPTY;
    }

    /** Frees all sessions and buffers. Idempotent. */
    @Override
    void close();
}
