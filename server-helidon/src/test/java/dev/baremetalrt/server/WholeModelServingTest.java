package dev.baremetalrt.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.core.engine.Backends;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.json.Json;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.spi.BackendOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The HTTP API over a whole-model engine: stories260K's tokenizer with the tensorrt-llm backend running the test
 * double of brt_trtllm.h (built by backend-tensorrt's tests; not TensorRT-LLM). Requests go to the engine's own
 * loop, not to pipeline steps, and its counters reach /metrics.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WholeModelServingTest {
    private static final String KEY = "trt-key";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private BrtServer server;
    private String base;
    private BackendOptions options;

    @BeforeAll
    void start() throws Exception {
        Path library = Path.of("..", "backend-tensorrt", "target", "test-native", "libbrt_trtllm_fake.so").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(library), "the tensorrt-llm test double was not built: " + library);
        Path engine = Files.createTempDirectory("brt-trt-engine");
        Files.writeString(engine.resolve("config.json"), "{}");
        options = new BackendOptions(0, Map.of("library", library.toString(), "engine", engine.toString(), "options", "{\"vocab_size\": 512, \"step_us\": 300}"));
        server = BrtServer.start(new ServerConfig("127.0.0.1", 0, List.of(KEY), List.of(), ServerConfig.DEFAULT_MAX_BODY_BYTES), 1);
        server.add(ServedModel.load(LlamaModel.open(SharedModels.file("stories260K/stories260K.gguf")), Backends.find("tensorrt-llm"), options, 1, 256, 4, 8));
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void completionsComeFromTheEnginesLoopAndMatchTheEngineDirectly() throws Exception {
        HttpResponse<String> response = post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", \"max_tokens\": 10, \"temperature\": 0}");
        assertEquals(200, response.statusCode(), response.body());
        Map<String, Object> body = Json.parseObject(response.body(), "response");
        String text = (String) ((Map<?, ?>) ((List<?>) body.get("choices")).getFirst()).get("text");
        try (LlamaModel model = LlamaModel.open(SharedModels.file("stories260K/stories260K.gguf"));
             LocalDeployment local = LocalDeployment.load(model, Backends.find("tensorrt-llm"), options, 1, 256)) {
            String expected = local.engine().generate(new GenerationRequest(model.tokenizer().encode("Once upon a time"), 10, SamplingParams.greedy()), TokenSink.discard()).text();
            assertEquals(expected, text);
        }
    }

    @Test
    void concurrentStreamsAllFinishAndEngineCountersAreExported() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            streams.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Authorization", "Bearer " + KEY)
                    .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"stories260K\", \"prompt\": \"Tim " + i + "\", \"max_tokens\": 20, \"stream\": true}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> s : streams) {
            HttpResponse<String> r = s.get();
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("data: [DONE]"), r.body());
        }
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("brt_engine_iterations{model=\"stories260K\"}") && metrics.contains("brt_engine_completed_requests{model=\"stories260K\"}"), metrics);
    }
}
