package dev.baremetalrt.cli;

import dev.baremetalrt.spi.Settings;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine.ParseResult;

/**
 * Where {@code brt serve} takes each setting from, first match wins: the command line; the environment
 * ({@code BRT_PORT}, or the system property {@code brt.port}, see {@link Settings}); the YAML file of
 * {@code --config} / {@code BRT_CONFIG}; the option's default. YAML keys are the long option names without
 * the dashes ({@code port}, {@code api-key-file}, ...); list options take a YAML list. Unknown keys are
 * an error, so a typo does not silently fall back to a default. Relative paths in the file ({@code model},
 * {@code api-key-file}) are relative to the file's folder.
 */
final class ServeSettings {
    /** The keys a config file may hold: the long names of serve's options. */
    private static final Set<String> PATHS = Set.of("model", "api-key-file");
    static final Set<String> KEYS = Set.of("model", "port", "host", "api-key", "api-key-file", "cors-origin", "max-running", "max-queued",
            "backend", "stages", "threads", "ctx");

    private final ParseResult commandLine;
    private final Map<String, Object> file;
    private final Path filePath;

    private ServeSettings(ParseResult commandLine, Map<String, Object> file, Path filePath) {
        this.commandLine = commandLine;
        this.file = file;
        this.filePath = filePath;
    }

    /** Reads {@code configFile} (may be null: no file). */
    static ServeSettings of(ParseResult commandLine, Path configFile) {
        if (configFile == null) {
            return new ServeSettings(commandLine, Map.of(), null);
        }
        return new ServeSettings(commandLine, read(configFile), configFile);
    }

    static Map<String, Object> read(Path file) {
        Object root;
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("config file %s: no such file".formatted(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("config file %s: cannot read it: %s".formatted(file, e.getMessage()));
        } catch (YAMLException e) {
            throw new IllegalArgumentException("config file %s is not valid YAML: %s".formatted(file, e.getMessage().lines().findFirst().orElse("")));
        }
        if (root == null) {
            return Map.of();
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("config file %s must be a mapping of settings (port: 8080 ...), not a %s".formatted(file, kind(root)));
        }
        Set<String> unknown = new TreeSet<>();
        for (Object key : map.keySet()) {
            if (!(key instanceof String k) || !KEYS.contains(k)) {
                unknown.add(String.valueOf(key));
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("config file %s: unknown setting(s) %s; known: %s".formatted(file, unknown, new TreeSet<>(KEYS)));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> settings = (Map<String, Object>) map;
        return settings;
    }

    String string(String key, String current) {
        if (given(key)) {
            return current;
        }
        Optional<String> env = Settings.get(key);
        if (env.isPresent()) {
            return env.get();
        }
        Object v = file.get(key);
        if (v == null) {
            return current;
        }
        if (v instanceof Map<?, ?> || v instanceof List<?>) {
            throw invalid(key, "a single value", v);
        }
        return fromFile(key, String.valueOf(v));
    }

    int integer(String key, int current) {
        if (given(key)) {
            return current;
        }
        Optional<String> env = Settings.get(key);
        if (env.isPresent()) {
            try {
                return Integer.parseInt(env.get().strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("BRT_%s must be a whole number, got '%s'".formatted(key.toUpperCase(java.util.Locale.ROOT).replace('-', '_'), env.get()));
            }
        }
        Object v = file.get(key);
        if (v == null) {
            return current;
        }
        if (!(v instanceof Integer i)) {
            throw invalid(key, "a whole number", v);
        }
        return i;
    }

    /** A list option; the environment gives one value, or several separated by commas. */
    List<String> list(String key, List<String> current) {
        if (given(key)) {
            return current;
        }
        Optional<String> env = Settings.get(key);
        if (env.isPresent()) {
            return List.of(env.get().split(",")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        }
        Object v = file.get(key);
        if (v == null) {
            return current;
        }
        List<String> values = new ArrayList<>();
        for (Object item : v instanceof List<?> l ? l : List.of(v)) {
            if (item instanceof Map<?, ?> || item instanceof List<?> || item == null) {
                throw invalid(key, "a value or a list of values", v);
            }
            values.add(fromFile(key, String.valueOf(item)));
        }
        return values;
    }

    private String fromFile(String key, String value) {
        if (!PATHS.contains(key) || filePath.toAbsolutePath().getParent() == null) {
            return value;
        }
        return filePath.toAbsolutePath().getParent().resolve(value).toString();
    }

    private boolean given(String key) {
        return commandLine != null && commandLine.hasMatchedOption("--" + key);
    }

    private IllegalArgumentException invalid(String key, String expected, Object v) {
        return new IllegalArgumentException("config file %s: '%s' must be %s, got %s".formatted(filePath, key, expected, kind(v)));
    }

    private static String kind(Object v) {
        return v instanceof Map<?, ?> ? "a mapping" : v instanceof List<?> ? "a list" : v instanceof String s ? "'" + s + "'" : String.valueOf(v);
    }
}
