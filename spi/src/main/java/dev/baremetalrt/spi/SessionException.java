package dev.baremetalrt.spi;

/**
 * A session step cannot be run: unknown or released session, a position that does not continue the
 * session's cache, input of the wrong size, or more positions than the shard's KV capacity.
 */
public class SessionException extends BrtException {
    private static final long serialVersionUID = 1L;

    public SessionException(String message) {
        super(message);
    }
}
