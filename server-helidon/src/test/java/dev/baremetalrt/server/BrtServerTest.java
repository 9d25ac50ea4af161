package dev.baremetalrt.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.core.chat.ChatMessage;
import dev.baremetalrt.core.chat.ChatTemplates;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.json.Json;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.core.engine.Backends;
import dev.baremetalrt.spi.BackendOptions;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The HTTP API on stories260K, driven with the JDK's HTTP client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrtServerTest {
    private static final String KEY = "test-key-123";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private BrtServer server;
    private String base;

    @BeforeAll
    void start() {
        server = BrtServer.start(new ServerConfig("127.0.0.1", 0, List.of(KEY), List.of("http://allowed.example"), 64 * 1024), 1);
        server.add(ServedModel.load(LlamaModel.open(SharedModels.file("stories260K/stories260K.gguf")), Backends.find("cpu"),
                BackendOptions.withThreads(2), 2, 256, 4, 2));
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    @Test
    void connectionsSendEachEventAtOnce() {
        assertTrue(server.tcpNoDelay(), "TCP_NODELAY must be on: with Nagle a streamed token waits for the previous one's ACK");
    }

    @Test
    void greedyChatEqualsTheEngineOnTheRenderedPrompt() throws Exception {
        Map<String, Object> r = json(post("/v1/chat/completions", """
                {"model": "stories260K", "messages": [{"role": "user", "content": [{"type": "text", "text": "Once upon a time"}]}],
                 "max_tokens": 30, "temperature": 0, "user": "u1"}""", 200));
        @SuppressWarnings("unchecked")
        Map<String, Object> message = (Map<String, Object>) ((Map<String, Object>) ((List<?>) r.get("choices")).getFirst()).get("message");
        try (LlamaModel model = LlamaModel.open(SharedModels.file("stories260K/stories260K.gguf"));
             LocalDeployment local = LocalDeployment.load(model, Backends.find("cpu"), BackendOptions.withThreads(2), 1, 256)) {
            int[] prompt = ChatTemplates.encode(model.tokenizer(), ChatTemplates.forModel(model).render(List.of(ChatMessage.user("Once upon a time")), List.of(), true));
            String expected = local.engine().generate(new GenerationRequest(prompt, 30, SamplingParams.greedy()), TokenSink.discard()).text();
            assertEquals(expected, message.get("content"));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> usage = (Map<String, Object>) r.get("usage");
        assertEquals(30L, usage.get("completion_tokens"));
        assertEquals("chat.completion", r.get("object"));
    }

    @Test
    void streamingWorksWhateverTheAcceptHeaderAndEndsWithUsageAndDone() throws Exception {
        HttpResponse<String> res = http.send(request("/v1/chat/completions").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model": "stories260K", "messages": [{"role": "user", "content": "Once"}], "max_tokens": 12, "temperature": 0,
                         "stream": true, "stream_options": {"include_usage": true}, "stop": ["zzz"]}""")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode(), res.body());
        assertTrue(res.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<String> events = res.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertEquals("[DONE]", events.getLast());
        Map<String, Object> usageChunk = Json.parseObject(events.get(events.size() - 2), "usage chunk");
        assertEquals(List.of(), usageChunk.get("choices"));
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String e : events.subList(0, events.size() - 2)) {
            Map<?, ?> choice = (Map<?, ?>) ((List<?>) Json.parseObject(e, "chunk").get("choices")).getFirst();
            Map<?, ?> delta = (Map<?, ?>) choice.get("delta");
            if (delta.get("content") instanceof String s) {
                text.append(s);
            }
            if (choice.get("finish_reason") instanceof String f) {
                finish = f;
            }
        }
        assertEquals("length", finish);
        Map<String, Object> whole = json(post("/v1/chat/completions", """
                {"model": "stories260K", "messages": [{"role": "user", "content": "Once"}], "max_tokens": 12, "temperature": 0}""", 200));
        Map<?, ?> message = (Map<?, ?>) ((Map<?, ?>) ((List<?>) whole.get("choices")).getFirst()).get("message");
        assertEquals(message.get("content"), text.toString(), "streamed pieces add up to the non-streamed text: nothing lost or duplicated");
    }

    @Test
    void completionsTokenizeDetokenizeModelsHealthMetrics() throws Exception {
        Map<String, Object> tokens = json(post("/tokenize", "{\"model\": \"stories260K\", \"content\": \"Once upon a time\"}", 200));
        @SuppressWarnings("unchecked")
        List<Long> ids = (List<Long>) tokens.get("tokens");
        Map<String, Object> text = json(post("/detokenize", "{\"model\": \"stories260K\", \"tokens\": " + ids + "}", 200));
        assertEquals("Once upon a time", text.get("content"));
        Map<String, Object> byIds = json(post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": [1" + ids.stream().map(i -> ", " + i).reduce("", String::concat)
                + "], \"max_tokens\": 6, \"temperature\": 0}", 200));
        Map<String, Object> byText = json(post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", \"max_tokens\": 6, \"temperature\": 0, \"stop\": \"zz\"}", 200));
        assertEquals(((Map<?, ?>) ((List<?>) byIds.get("choices")).getFirst()).get("text"), ((Map<?, ?>) ((List<?>) byText.get("choices")).getFirst()).get("text"));
        assertEquals("stories260K", ((Map<?, ?>) ((List<?>) json(get("/v1/models", 200)).get("data")).getFirst()).get("id"));
        assertEquals("model", json(get("/v1/models/stories260K", 200)).get("object"));
        assertEquals("ok", Json.parseObject(http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()).body(), "health").get("status"));
        String metrics = get("/metrics", 200);
        assertTrue(metrics.contains("brt_completion_tokens_total") && metrics.contains("brt_time_to_first_token_seconds_count")
                && metrics.contains("brt_queue_depth{model=\"stories260K\"}"), metrics);
        double steps = MetricsText.sum(metrics, "brt_scheduler_steps_total");
        double sessions = MetricsText.sum(metrics, "brt_scheduler_step_sessions_total");
        double positions = MetricsText.sum(metrics, "brt_scheduler_step_positions_total");
        // Two 6-token completions ran above: at least 6 steps each; every step holds a session, every session a position.
        assertTrue(steps >= 12 && sessions >= steps && positions >= sessions, "steps %s, sessions %s, positions %s".formatted(steps, sessions, positions));
        assertTrue(get("/", 200).contains("<title>BareMetalRT chat</title>"));
    }

    @Test
    void badInputGetsOpenAiErrorsAndTheServerStaysHealthy() throws Exception {
        assertError(post("/v1/chat/completions", "{\"model\": ", 400), "invalid_request_error", "not valid JSON");
        assertError(post("/v1/chat/completions", "[1, 2]", 400), "invalid_request_error", "not valid JSON");
        assertError(post("/v1/chat/completions", "{\"model\": \"nope\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", 404), "invalid_request_error", "does not exist");
        assertError(post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": \"hi\"}", 400), "invalid_request_error", "'messages'");
        assertError(post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}", 400), "invalid_request_error", "role");
        assertError(post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": \"hot\"}", 400), "invalid_request_error", "'temperature' must be a number");
        assertError(post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": -5}", 400), "invalid_request_error", "'max_tokens'");
        assertError(post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 3}", 400), "invalid_request_error", "n = 1");
        assertError(post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 100000}", 400), "invalid_request_error", "maximum context length is 256");
        assertError(post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": [1, 99999]}", 400), "invalid_request_error", "outside the vocabulary");
        assertError(post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], "
                + "\"response_format\": {\"type\": \"json_object\"}}", 400), "invalid_request_error", "'response_format' of type 'json_object' is not supported");
        assertError(post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"" + "x".repeat(100_000) + "\"}", 413), "invalid_request_error", "larger than");
        HttpResponse<String> utf8 = http.send(request("/v1/completions").POST(HttpRequest.BodyPublishers.ofByteArray(
                "{\"model\": \"stories260K\", \"prompt\": \"\u00ff\"}".getBytes(StandardCharsets.ISO_8859_1))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, utf8.statusCode());
        assertError(utf8.body(), "invalid_request_error", "UTF-8");
        assertError(get("/v1/nothing", 404), "invalid_request_error", "Unknown request URL");
        HttpResponse<String> noKey = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, noKey.statusCode());
        assertError(noKey.body(), "invalid_request_error", "API key");
        HttpResponse<String> wrongKey = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).header("Authorization", "Bearer test-key-124").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, wrongKey.statusCode());
        HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "http://allowed.example").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, preflight.statusCode());
        assertEquals("http://allowed.example", preflight.headers().firstValue("access-control-allow-origin").orElse(null));
        HttpResponse<String> otherOrigin = http.send(request("/v1/models").header("Origin", "http://evil.example").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(otherOrigin.headers().firstValue("access-control-allow-origin").isEmpty());
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertTrue(get("/metrics", 200).contains("brt_errors_total{type=\"invalid_request_error\"}"));
    }

    /** Each endpoint that takes a body, with a valid body and the name of a numeric field to break. */
    static Stream<Arguments> endpoints() {
        return Stream.of(
                Arguments.of("/v1/chat/completions",
                        "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 2, %s}", "max_tokens"),
                Arguments.of("/v1/completions",
                        "{\"model\": \"stories260K\", \"prompt\": \"Hi\", \"max_tokens\": 2, %s}", "max_tokens"),
                Arguments.of("/tokenize", "{\"model\": \"stories260K\", \"content\": \"Hi\", %s}", null),
                Arguments.of("/detokenize", "{\"model\": \"stories260K\", \"tokens\": [1, 2], %s}", "tokens"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("endpoints")
    void everyEndpointAnswersBadInputWithAnOpenAiErrorAndStaysHealthy(String path, String template, String numeric) throws Exception {
        assertEquals(200, status(path, template.formatted("\"an_unknown_field\": {\"x\": 1}")), "unknown fields are ignored, as vLLM does");
        assertError(post(path, template.formatted("\"x\": ").replace("}", ""), 400), "invalid_request_error", "not valid JSON");
        assertError(post(path, "\"just a string\"", 400), "invalid_request_error", "not valid JSON");
        assertError(post(path, "", 400), "invalid_request_error", "");
        assertError(post(path, template.formatted("\"x\": 1").replace("\"stories260K\"", "42"), 400), "invalid_request_error", "'model'");
        if (numeric != null) {
            // (null is not among them: OpenAI reads a null optional field as absent, and SDKs send it.)
            for (String bad : List.of("-1", "1e30", "99999999999999999999999", "\"7\"", "true", "[-3]", "[1e30]", "[\"a\"]", "{}")) {
                String body = template.replaceFirst("\"" + numeric + "\": [^,}]*(\\]|)", "\"" + numeric + "\": " + bad).formatted("\"x\": 1");
                int code = status(path, body);
                assertEquals(400, code, path + " with " + numeric + " = " + bad + ": " + body);
            }
        }
        byte[] huge = new byte[10 * 1024 * 1024];
        Arrays.fill(huge, (byte) ' ');
        huge[0] = '{';
        huge[huge.length - 1] = '}';
        HttpResponse<String> tooBig = http.send(request(path).POST(HttpRequest.BodyPublishers.ofByteArray(huge)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, tooBig.statusCode());
        assertError(tooBig.body(), "invalid_request_error", "larger than");
        HttpResponse<String> latin1 = http.send(request(path).POST(HttpRequest.BodyPublishers.ofByteArray(
                template.formatted("\"x\": \"\u00e9\"").getBytes(StandardCharsets.ISO_8859_1))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, latin1.statusCode());
        assertError(latin1.body(), "invalid_request_error", "UTF-8");
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(200, status(path, template.formatted("\"x\": 1")), "the server still answers good requests");
    }

    private int status(String path, String body) throws Exception {
        return http.send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void aClientThatLeavesMidStreamFreesItsSlot() throws Exception {
        long before = metric("brt_cancelled_generations_total");
        HttpResponse<InputStream> res = http.send(request("/v1/chat/completions").POST(HttpRequest.BodyPublishers.ofString("""
                {"model": "stories260K", "messages": [{"role": "user", "content": "Once"}], "max_tokens": 240, "temperature": 1, "seed": 3,
                 "stream": true}""")).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = res.body()) {
            assertTrue(in.readNBytes(200).length > 0);
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        while ((metric("brt_cancelled_generations_total") == before || metric("brt_running_generations") > 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(before + 1, metric("brt_cancelled_generations_total"), "the server saw the client leave and cancelled its generation");
        assertEquals(0, metric("brt_running_generations"), "the cancelled generation released its sessions");
    }

    /** Sum of a metric's samples (over all labels). */
    private long metric(String name) throws Exception {
        return MetricsText.sum(get("/metrics", 200), name);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + KEY).timeout(Duration.ofSeconds(60));
    }

    private String post(String path, String body, int status) throws Exception {
        HttpResponse<String> res = http.send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, res.statusCode(), res.body());
        return res.body();
    }

    private String get(String path, int status) throws Exception {
        HttpResponse<String> res = http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, res.statusCode(), res.body());
        return res.body();
    }

    private static Map<String, Object> json(String body) {
        return Json.parseObject(body, "response");
    }

    private static void assertError(String body, String type, String fragment) {
        Map<?, ?> error = (Map<?, ?>) json(body).get("error");
        assertEquals(type, error.get("type"), body);
        assertTrue(((String) error.get("message")).contains(fragment), body);
    }
}
