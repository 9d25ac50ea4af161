package dev.baremetalrt.spi;

/** A message could not be delivered to a stage or its answer did not arrive in time. */
public class TransportException extends BrtException {
    private static final long serialVersionUID = 1L;

    public TransportException(String message) {
        super(message);
    }

    public TransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
