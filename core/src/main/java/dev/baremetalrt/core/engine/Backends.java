package dev.baremetalrt.core.engine;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.logging.Logger;

/** Finds backends on the classpath with {@link ServiceLoader}. A jar that fails to load is logged and skipped. */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());

    private Backends() {}

    /** Every provider that could be instantiated, sorted by id. */
    public static List<BackendProvider> discover() {
        List<BackendProvider> providers = new ArrayList<>();
        Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                providers.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                LOG.warning("skipping a backend that failed to load: " + e.getMessage());
            }
        }
        providers.sort(Comparator.comparing(BackendProvider::id));
        return providers;
    }

    /**
     * The provider with the given id.
     *
     * @throws BackendException listing the backends that were found when none has that id
     */
    public static BackendProvider find(String id) {
        List<BackendProvider> all = discover();
        return all.stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow(() -> new BackendException(
                "no backend '%s' on the classpath (found: %s)".formatted(id, all.isEmpty() ? "none" : String.join(", ", all.stream().map(BackendProvider::id).toList()))));
    }
}
