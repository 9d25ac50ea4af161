package dev.baremetalrt.spi;

/**
 * Entry point of a backend jar, registered in {@code META-INF/services/dev.baremetalrt.spi.BackendProvider}
 * and found with {@link java.util.ServiceLoader}. Construction must be cheap and must not touch native
 * libraries: discovery instantiates every provider on the classpath.
 */
public interface BackendProvider {
    /** Stable id users type, e.g. {@code cpu}, {@code cuda}. Lowercase, no spaces. */
    String id();

    /** One line for {@code brt backends}. */
    default String description() {
        return id();
    }

    /**
     * Whether this backend can run on this machine and, if not, exactly why (missing library, driver too
     * old, no device, JVM flag missing). Never throws.
     */
    ProbeResult probe();

    /**
     * Opens the backend.
     *
     * @throws BackendException when it cannot run here; the message says why, as {@link #probe()} would
     */
    Backend open(BackendOptions options);
}
