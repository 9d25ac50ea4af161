package dev.baremetalrt.core.engine;

/** A request refused because the scheduler's queue is full; the client should retry later. */
public final class OverloadedException extends RuntimeException {
    private final int retryAfterSeconds;

    public OverloadedException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
