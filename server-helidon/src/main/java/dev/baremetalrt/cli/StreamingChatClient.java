package dev.baremetalrt.cli;

import dev.baremetalrt.core.json.Json;
import dev.baremetalrt.spi.BrtException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A streaming chat-completions client for {@code brt demo} and {@code brt loadtest}: one request read as
 * server-sent events, each content delta handed over as it arrives. It goes through the same HTTP API any
 * OpenAI client uses. Thread-safe; one instance serves many concurrent requests.
 */
final class StreamingChatClient {
    /**
     * @param text                  the content deltas joined
     * @param completionTokens      from the usage chunk, or the number of deltas when the server sent none
     * @param timeToFirstTokenNanos from sending the request to the first content delta, or -1 without one
     * @param totalNanos            from sending the request to the end of the stream
     */
    record Result(String text, int completionTokens, long timeToFirstTokenNanos, long totalNanos, String finishReason) {
        double timeToFirstTokenMillis() {
            return timeToFirstTokenNanos < 0 ? Double.NaN : timeToFirstTokenNanos / 1e6;
        }

        /** Tokens after the first per second, or NaN with fewer than two. */
        double decodeTokensPerSecond() {
            return completionTokens > 1 && timeToFirstTokenNanos >= 0 ? (completionTokens - 1) / ((totalNanos - timeToFirstTokenNanos) / 1e9) : Double.NaN;
        }
    }

    private final String baseUrl;
    private final String apiKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final java.util.concurrent.atomic.AtomicInteger staleRetries = new java.util.concurrent.atomic.AtomicInteger();

    /** {@code baseUrl} ends with a slash, e.g. {@code http://127.0.0.1:8080/}; {@code apiKey} may be null. */
    StreamingChatClient(String baseUrl, String apiKey) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
        this.apiKey = apiKey;
    }

    Result stream(String requestJson, Consumer<String> onDelta) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + "v1/chat/completions"))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofString(requestJson));
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        long start = System.nanoTime();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("received no bytes")) {
                throw e;
            }
            // A pooled keep-alive connection the server had closed: nothing was read from it, so the request
            // never reached the server. Sent again on a fresh connection, as OkHttp-based clients do.
            staleRetries.incrementAndGet();
            start = System.nanoTime();
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        }
        if (response.statusCode() != 200) {
            String body;
            try (InputStream in = response.body()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            throw new BrtException("%s answered %d: %s".formatted(baseUrl, response.statusCode(), errorMessage(body)));
        }
        long first = -1;
        int pieces = 0;
        int completionTokens = -1;
        String finishReason = "none";
        StringBuilder text = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                String data = line.substring(6);
                if (data.equals("[DONE]")) {
                    break;
                }
                Map<String, Object> chunk = Json.parseObject(data, "stream chunk");
                if (chunk.get("error") instanceof Map<?, ?> error) {
                    throw new BrtException("the stream from %s ended with an error: %s".formatted(baseUrl, error.get("message")));
                }
                if (chunk.get("usage") instanceof Map<?, ?> usage && usage.get("completion_tokens") instanceof Number n) {
                    completionTokens = n.intValue();
                }
                if (chunk.get("choices") instanceof List<?> choices && !choices.isEmpty() && choices.getFirst() instanceof Map<?, ?> choice) {
                    if (choice.get("delta") instanceof Map<?, ?> delta && delta.get("content") instanceof String piece && !piece.isEmpty()) {
                        if (pieces++ == 0) {
                            first = System.nanoTime() - start;
                        }
                        text.append(piece);
                        onDelta.accept(piece);
                    }
                    if (choice.get("finish_reason") instanceof String reason) {
                        finishReason = reason;
                    }
                }
            }
        }
        return new Result(text.toString(), completionTokens >= 0 ? completionTokens : pieces, first, System.nanoTime() - start, finishReason);
    }

    /** Requests sent again because their pooled connection turned out closed before any response byte. */
    int staleConnectionRetries() {
        return staleRetries.get();
    }

    private static String errorMessage(String body) {
        try {
            if (Json.parseObject(body, "error").get("error") instanceof Map<?, ?> error && error.get("message") != null) {
                return String.valueOf(error.get("message"));
            }
        } catch (RuntimeException notJson) {
            // fall through to the raw body
        }
        return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }
}
