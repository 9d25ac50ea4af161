package dev.baremetalrt.spi;

/** A backend could not do what was asked: not available here, weights it cannot run, out of memory, closed. */
public class BackendException extends BrtException {
    private static final long serialVersionUID = 1L;

    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
