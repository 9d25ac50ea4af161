package dev.baremetalrt.cli;

import dev.baremetalrt.spi.BrtException;
import dev.baremetalrt.core.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The demo's HTTP client: one streaming chat completion read as server-sent events, each content delta
 * printed as it arrives. It goes through the same HTTP API any OpenAI client uses, which is what the demo
 * is there to show.
 */
final class DemoChat {
    record Result(int completionTokens, double timeToFirstTokenMillis, double decodeTokensPerSecond, String finishReason) {}

    private DemoChat() {}

    static Result stream(String baseUrl, String model, String requestJson, PrintWriter out) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestJson))
                .build();
        long start = System.nanoTime();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            String body;
            try (InputStream in = response.body()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            throw new BrtException("the server answered %d for model '%s': %s".formatted(response.statusCode(), model, errorMessage(body)));
        }
        long first = 0;
        long last = 0;
        int pieces = 0;
        int completionTokens = -1;
        String finishReason = "none";
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
                    throw new BrtException("the stream from model '%s' ended with an error: %s".formatted(model, error.get("message")));
                }
                if (chunk.get("usage") instanceof Map<?, ?> usage && usage.get("completion_tokens") instanceof Number n) {
                    completionTokens = n.intValue();
                }
                if (chunk.get("choices") instanceof List<?> choices && !choices.isEmpty() && choices.getFirst() instanceof Map<?, ?> choice) {
                    if (choice.get("delta") instanceof Map<?, ?> delta && delta.get("content") instanceof String text && !text.isEmpty()) {
                        last = System.nanoTime();
                        if (pieces++ == 0) {
                            first = last;
                        }
                        out.print(text);
                        out.flush();
                    }
                    if (choice.get("finish_reason") instanceof String reason) {
                        finishReason = reason;
                    }
                }
            }
        }
        int tokens = completionTokens >= 0 ? completionTokens : pieces;
        double ttft = pieces == 0 ? Double.NaN : (first - start) / 1e6;
        double decode = pieces > 1 ? (tokens - 1) / ((last - first) / 1e9) : Double.NaN;
        return new Result(tokens, ttft, decode, finishReason);
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
