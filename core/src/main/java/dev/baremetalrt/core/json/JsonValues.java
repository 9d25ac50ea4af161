package dev.baremetalrt.core.json;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Typed reads from parsed JSON objects with errors that say where: {@code what} names the file or
 * section (e.g. "config.json of model stories260K-hf-derived").
 */
public final class JsonValues {
    private JsonValues() {}

    public static String string(Map<String, Object> obj, String key, String what) {
        return optString(obj, key, what).orElseThrow(() -> new JsonException("%s: '%s' is missing".formatted(what, key)));
    }

    public static Optional<String> optString(Map<String, Object> obj, String key, String what) {
        Object v = obj.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof String s) {
            return Optional.of(s);
        }
        throw new JsonException("%s: '%s' must be a string, got %s".formatted(what, key, describe(v)));
    }

    /** An integer in [min, max]. */
    public static long integer(Map<String, Object> obj, String key, long min, long max, String what) {
        return optInteger(obj, key, min, max, what).orElseThrow(() -> new JsonException("%s: '%s' is missing".formatted(what, key)));
    }

    public static Optional<Long> optInteger(Map<String, Object> obj, String key, long min, long max, String what) {
        Object v = obj.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Long l)) {
            throw new JsonException("%s: '%s' must be an integer, got %s".formatted(what, key, describe(v)));
        }
        if (l < min || l > max) {
            throw new JsonException("%s: '%s' is %d, outside [%d, %d]".formatted(what, key, l, min, max));
        }
        return Optional.of(l);
    }

    public static Optional<Double> optNumber(Map<String, Object> obj, String key, String what) {
        Object v = obj.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Number n) {
            return Optional.of(n.doubleValue());
        }
        throw new JsonException("%s: '%s' must be a number, got %s".formatted(what, key, describe(v)));
    }

    public static Optional<Boolean> optBoolean(Map<String, Object> obj, String key, String what) {
        Object v = obj.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Boolean b) {
            return Optional.of(b);
        }
        throw new JsonException("%s: '%s' must be true or false, got %s".formatted(what, key, describe(v)));
    }

    @SuppressWarnings("unchecked")
    public static Optional<Map<String, Object>> optObject(Map<String, Object> obj, String key, String what) {
        Object v = obj.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Map<?, ?> m) {
            return Optional.of((Map<String, Object>) m);
        }
        throw new JsonException("%s: '%s' must be an object, got %s".formatted(what, key, describe(v)));
    }

    public static Optional<List<Object>> optList(Map<String, Object> obj, String key, String what) {
        Object v = obj.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) l;
            return Optional.of(list);
        }
        throw new JsonException("%s: '%s' must be an array, got %s".formatted(what, key, describe(v)));
    }

    /** A value cast to an object, or an error naming where it was. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> asObject(Object v, String what) {
        if (v instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new JsonException("%s must be an object, got %s".formatted(what, describe(v)));
    }

    public static String describe(Object v) {
        return switch (v) {
            case null -> "null";
            case String s -> "a string";
            case Long l -> "an integer";
            case Double d -> "a number";
            case Boolean b -> "a boolean";
            case List<?> l -> "an array";
            case Map<?, ?> m -> "an object";
            default -> v.getClass().getSimpleName();
        };
    }
}
