package dev.baremetalrt.spi;

import java.util.Locale;
import java.util.Optional;

/**
 * The one place settings are read from, shared by core and backends: a system property {@code brt.some.name} wins over the
 * environment variable {@code BRT_SOME_NAME}.
 */
public final class Settings {
    private Settings() {}

    /** The value of {@code brt.<name>} or {@code BRT_<NAME>} (dots and dashes become underscores). */
    public static Optional<String> get(String name) {
        String property = System.getProperty("brt." + name);
        if (property != null && !property.isBlank()) {
            return Optional.of(property);
        }
        String env = System.getenv("BRT_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        return env == null || env.isBlank() ? Optional.empty() : Optional.of(env);
    }

    public static int getInt(String name, int fallback) {
        return get(name).map(v -> {
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("setting %s must be an integer, got '%s'".formatted(name, v));
            }
        }).orElse(fallback);
    }

    /** The folder BareMetalRT keeps generated files in: {@code brt.home} / {@code BRT_HOME}, default {@code ~/.baremetalrt}. */
    public static java.nio.file.Path home() {
        return get("home").map(java.nio.file.Path::of)
                .orElseGet(() -> java.nio.file.Path.of(System.getProperty("user.home"), ".baremetalrt"));
    }
}
