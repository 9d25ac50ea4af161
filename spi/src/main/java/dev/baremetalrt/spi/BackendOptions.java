package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;

/**
 * Settings passed to {@link BackendProvider#open}.
 *
 * @param threads    worker threads for CPU work; 0 means "choose" (usually the available processors)
 * @param properties backend-specific settings (documented by each backend), never null
 */
public record BackendOptions(int threads, Map<String, String> properties) {
    public BackendOptions {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        }
        properties = Map.copyOf(requireNonNull(properties, "properties is null"));
    }

    /** Defaults: backend chooses the thread count, no properties. */
    public static BackendOptions defaults() {
        return new BackendOptions(0, Map.of());
    }

    public static BackendOptions withThreads(int threads) {
        return new BackendOptions(threads, Map.of());
    }

    public Optional<String> property(String key) {
        return Optional.ofNullable(properties.get(key));
    }
}
