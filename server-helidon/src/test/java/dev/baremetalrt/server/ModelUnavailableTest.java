package dev.baremetalrt.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.core.engine.CapacityShardPlanner;
import dev.baremetalrt.core.engine.InProcessTransport;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.core.engine.PlanSource;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.NodeCapacity;
import dev.baremetalrt.spi.PlanRequest;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.TransportException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A model whose plan source says it cannot run (a cluster that lost the nodes it needs) is answered 503
 * at once, with the reason, code {@code model_unavailable} and Retry-After, streaming or not; once the
 * source says it can run again, the same server answers 200.
 */
class ModelUnavailableTest {
    private static final String BODY = "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"Once\"}], \"max_tokens\": 5, \"temperature\": 0%s}";

    @Test
    void aModelTheClusterCannotRunIsA503WithTheReasonUntilCapacityReturns() throws Exception {
        AtomicReference<String> why = new AtomicReference<>("model stories260K cannot run in cluster test now: layers of 2.0 GiB do not fit in 1.0 GiB");
        PlanSource source = new PlanSource() {
            @Override
            public ShardPlan awaitNewer(long epoch, Duration timeout) {
                throw new TransportException("no newer plan in this test");
            }

            @Override
            public Optional<String> unavailable() {
                return Optional.ofNullable(why.get());
            }
        };
        LlamaModel model = LlamaModel.open(SharedModels.file("stories260K/stories260K.gguf"));
        try (Backend backend = dev.baremetalrt.core.engine.Backends.find("cpu").open(BackendOptions.withThreads(1));
             BrtServer server = BrtServer.start(new ServerConfig("127.0.0.1", 0, List.of(), List.of(), ServerConfig.DEFAULT_MAX_BODY_BYTES), 1)) {
            ShardPlan plan = new CapacityShardPlanner().plan(new PlanRequest(model.modelId(), 1, model.config().layerCount(), 0, 0, 0,
                    List.of(new NodeCapacity("local", "cpu", 1L << 30, 1.0))));
            ShardPlan.Stage stage = plan.first();
            Shard shard = backend.load(new ShardSpec(model, stage.layers(), stage.embedding(), stage.head(), 256));
            InProcessTransport transport = new InProcessTransport();
            transport.bind(stage, shard);
            server.add(ServedModel.onPipeline(model, new Pipeline(plan, transport, Duration.ofSeconds(30), source), 256, 2, 2, shard));
            HttpClient http = HttpClient.newHttpClient();
            for (String stream : List.of("", ", \"stream\": true")) {
                HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString(BODY.formatted(stream))).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(503, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("do not fit") && refused.body().contains("model_unavailable"), refused.body());
                assertEquals("5", refused.headers().firstValue("Retry-After").orElse(""), "tells the client when to try again");
            }
            why.set(null); // capacity is back
            HttpResponse<String> served = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(BODY.formatted(""))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, served.statusCode(), served.body());
        }
    }
}
