package dev.baremetalrt.server;

import dev.baremetalrt.core.json.JsonWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error answered in OpenAI's envelope {@code {"error": {"message", "type", "param", "code"}}} with its
 * HTTP status. Handlers throw it; {@link BrtServer} writes it.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final int retryAfterSeconds;

    public ApiError(int status, String type, String message, String param, String code) {
        this(status, type, message, param, code, 0);
    }

    public ApiError(int status, String type, String message, String param, String code, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 invalid_request_error about {@code param}. */
    public static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The error as the JSON body. */
    public String json() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", getMessage());
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        return JsonWriter.write(Map.of("error", e), 0);
    }
}
