package dev.baremetalrt.spi;

/**
 * Base of every error BareMetalRT reports on purpose. Its message is written for the user: it names the
 * model, node, layer range, session or file it is about, and says what is wrong.
 */
public class BrtException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BrtException(String message) {
        super(message);
    }

    public BrtException(String message, Throwable cause) {
        super(message, cause);
    }
}
