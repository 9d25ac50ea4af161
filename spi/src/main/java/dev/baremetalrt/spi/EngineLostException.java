package dev.baremetalrt.spi;

/**
 * A {@link TokenGenerator} lost the engine running a generation (its node left the cluster, or went silent). The
 * generation is not broken: its tokens so far are known, and another engine, or layer stages, may continue it.
 */
public class EngineLostException extends BackendException {
    private static final long serialVersionUID = 1L;

    public EngineLostException(String message) {
        super(message);
    }
}
