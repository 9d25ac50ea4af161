package dev.baremetalrt.server;

import dev.baremetalrt.core.json.Json;
import dev.baremetalrt.core.json.JsonException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A JSON request body with typed, OpenAI-style validated accessors: a missing required field, a value of
 * the wrong type or out of range is a 400 naming the parameter. Unknown fields are ignored, as OpenAI's
 * compatible servers do, except those listed as unsupported by the endpoint.
 */
final class RequestBody {
    private final Map<String, Object> fields;

    private RequestBody(Map<String, Object> fields) {
        this.fields = fields;
    }

    static RequestBody parse(byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiError.invalid(null, "the request body is not valid UTF-8");
        }
        if (text.isBlank()) {
            throw ApiError.invalid(null, "the request body is empty; send a JSON object");
        }
        try {
            return new RequestBody(Json.parseObject(text, "the request body"));
        } catch (JsonException e) {
            throw ApiError.invalid(null, "the request body is not valid JSON: " + e.getMessage());
        }
    }

    Map<String, Object> fields() {
        return fields;
    }

    boolean has(String name) {
        return fields.get(name) != null;
    }

    Object raw(String name) {
        return fields.get(name);
    }

    String requiredString(String name) {
        return optString(name).orElseThrow(() -> ApiError.invalid(name, "'%s' is required".formatted(name)));
    }

    Optional<String> optString(String name) {
        Object v = fields.get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof String s)) {
            throw ApiError.invalid(name, "'%s' must be a string".formatted(name));
        }
        return Optional.of(s);
    }

    Optional<Boolean> optBoolean(String name) {
        Object v = fields.get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Boolean b)) {
            throw ApiError.invalid(name, "'%s' must be a boolean".formatted(name));
        }
        return Optional.of(b);
    }

    Optional<Double> optNumber(String name, double min, double max) {
        Object v = fields.get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Number n) || Double.isNaN(n.doubleValue())) {
            throw ApiError.invalid(name, "'%s' must be a number".formatted(name));
        }
        if (n.doubleValue() < min || n.doubleValue() > max) {
            throw ApiError.invalid(name, "'%s' must be between %s and %s, got %s".formatted(name, fmt(min), fmt(max), v));
        }
        return Optional.of(n.doubleValue());
    }

    Optional<Long> optInteger(String name, long min, long max) {
        Object v = fields.get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Long n)) {
            throw ApiError.invalid(name, "'%s' must be an integer".formatted(name));
        }
        if (n < min || n > max) {
            throw ApiError.invalid(name, "'%s' must be between %d and %d, got %d".formatted(name, min, max, n));
        }
        return Optional.of(n);
    }

    Optional<Map<String, Object>> optObject(String name) {
        Object v = fields.get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Map<?, ?>)) {
            throw ApiError.invalid(name, "'%s' must be an object".formatted(name));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        return Optional.of(m);
    }

    /** {@code stop}: a string or a list of at most 4 non-empty strings. */
    List<String> stops() {
        Object v = fields.get("stop");
        if (v == null) {
            return List.of();
        }
        List<?> list = v instanceof String s ? List.of(s) : v instanceof List<?> l ? l : null;
        if (list == null || list.size() > 4 || list.stream().anyMatch(x -> !(x instanceof String s) || s.isEmpty())) {
            throw ApiError.invalid("stop", "'stop' must be a non-empty string or a list of at most 4 non-empty strings");
        }
        return list.stream().map(String.class::cast).toList();
    }

    /** Fields BareMetalRT does not implement and must not silently ignore. */
    void refuse(Set<String> unsupported) {
        for (String name : unsupported) {
            if (has(name)) {
                throw ApiError.invalid(name, "'%s' is not supported by this server".formatted(name));
            }
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }
}
