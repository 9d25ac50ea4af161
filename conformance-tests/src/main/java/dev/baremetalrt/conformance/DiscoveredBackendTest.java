package dev.baremetalrt.conformance;

import dev.baremetalrt.core.engine.Backends;
import dev.baremetalrt.spi.BackendProvider;
import java.lang.reflect.InvocationTargetException;

/**
 * {@link BackendReferenceTest} for the backend that {@link ConformanceRun} names in the system property
 * {@value #BACKEND_PROPERTY}: a backend id found on the class path through {@code ServiceLoader} (a jar
 * dropped there), or {@code class:} and a {@link BackendProvider} class name. Not meant to be run by a
 * build's test runner: {@code brt conformance --backend ID} runs it.
 */
public class DiscoveredBackendTest extends BackendConformanceTest {
    public static final String BACKEND_PROPERTY = "brt.conformance.backend";

    @Override
    protected BackendProvider provider() {
        return discover();
    }

    /** The provider the system property names. */
    static BackendProvider discover() {
        String backend = System.getProperty(BACKEND_PROPERTY);
        if (backend == null || backend.isBlank()) {
            throw new IllegalStateException("set -D%s=<backend id> to say which backend to test".formatted(BACKEND_PROPERTY));
        }
        if (!backend.startsWith("class:")) {
            return Backends.find(backend);
        }
        String className = backend.substring("class:".length());
        try {
            return (BackendProvider) Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
            throw new IllegalStateException("cannot make a BackendProvider of class %s: %s".formatted(className, cause), cause);
        }
    }
}
