package dev.baremetalrt.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.backend.cpu.CpuBackendProvider;
import dev.baremetalrt.backend.tensorrt.TensorRtBackendProvider;
import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.conformance.StoriesReference;
import dev.baremetalrt.core.engine.FinishReason;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.GenerationResult;
import dev.baremetalrt.core.engine.InferenceEngine;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.model.Models;
import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.ShardPlan;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A cluster with a whole-model engine (the tensorrt-llm backend on its test double, not TensorRT-LLM) and a cpu
 * node: the engine's node gets the model whole as one stage, the other serves it by sending whole generations
 * over the event bus; when the engine's node leaves, the model is re-planned as layer stages on the cpu node, a
 * running generation goes on there from its tokens so far, and new ones give REFERENCE.md's ids.
 */
class WholeModelClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aWholeModelEngineTakesTheModelAndOthersSendItWholeGenerations() throws Exception {
        Path library = Path.of("..", "backend-tensorrt", "target", "test-native", "libbrt_trtllm_fake.so").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(library), "the tensorrt-llm test double was not built: " + library);
        Path stories = SharedModels.file("stories260K/stories260K.gguf");
        Path engine = Files.createTempDirectory("brt-trt-engine");
        Files.writeString(engine.resolve("config.json"), "{}");
        BackendOptions trt = new BackendOptions(0, Map.of("library", library.toString(), "engine", engine.toString(),
                "options", "{\"vocab_size\": 512, \"step_us\": 2000}"));
        int[] ports = LoopbackPorts.free(2);
        List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]);
        String name = "brt-whole-" + ProcessHandle.current().pid();
        try (ClusterNode cpuNode = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[0], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
             NodeAgent cpuAgent = new NodeAgent(cpuNode, new CpuBackendProvider(), BackendOptions.withThreads(1), 1L << 30, List.of(stories), 512, Map.of());
             Model model = Models.open(stories)) {
            ClusterNode engineNode = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[1], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
            NodeAgent engineAgent = new NodeAgent(engineNode, new TensorRtBackendProvider(), trt, 1L << 30, List.of(stories), 512, Map.of());
            try {
                assertTrue(engineAgent.inventory().wholeModel(), "the tensorrt-llm node says it runs whole models");
                ShardPlan plan = awaitPlanOn(cpuNode, engineNode.nodeId());
                assertEquals(1, plan.stages().size(), "one stage holding the whole model: " + plan.describe());
                JsonObject published = new JsonObject(ClusterPlans.describe(cpuNode, "stories260K"));
                assertTrue(published.getBoolean("wholeModel"), published.encode());
                assertTrue(published.getJsonObject("refused").getString(cpuNode.nodeId(), "").contains("runs whole on node"), published.encode());

                ClusterGenerators generators = new ClusterGenerators(cpuNode, "stories260K", WAIT);
                Pipeline pipeline = new Pipeline(plan, new EventBusTransport(cpuNode.vertx(), Duration.ofSeconds(20), WireFormat.F32), Duration.ofSeconds(30),
                        new ClusterPlanSource(cpuNode, "stories260K"));
                InferenceEngine served = new InferenceEngine(pipeline, model.tokenizer(), 512, 512, generators);
                int[] prompt = model.tokenizer().encode("Once upon a time");
                GenerationResult remote = served.generate(new GenerationRequest(prompt, 20, SamplingParams.greedy()), TokenSink.discard());
                try (Model local = Models.open(stories); LocalDeployment direct = LocalDeployment.load(local, new TensorRtBackendProvider(), trt, 1, 512)) {
                    GenerationResult expected = direct.engine().generate(new GenerationRequest(prompt, 20, SamplingParams.greedy()), TokenSink.discard());
                    assertArrayEquals(expected.tokens(), remote.tokens(), "over the event bus, the engine's own tokens");
                    assertEquals(expected.text(), remote.text());
                }

                // a long generation, then the engine's node goes away mid-stream: it goes on, on the cpu node's layer stages
                int[] undisturbed;
                try (Model local = Models.open(stories); LocalDeployment direct = LocalDeployment.load(local, new TensorRtBackendProvider(), trt, 1, 512)) {
                    undisturbed = direct.engine().generate(new GenerationRequest(prompt, 400, SamplingParams.greedy()), TokenSink.discard()).tokens();
                }
                CompletableFuture<GenerationResult> running = CompletableFuture.supplyAsync(
                        () -> served.generate(new GenerationRequest(prompt, 400, SamplingParams.greedy()), TokenSink.discard()));
                Thread.sleep(300);
                engineNode.close();
                GenerationResult survived = running.get(90, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(survived.finishReason() == FinishReason.LENGTH || survived.finishReason() == FinishReason.STOP, survived.finishReason().toString());
                int same = 0;
                while (same < survived.tokens().length && same < undisturbed.length && survived.tokens()[same] == undisturbed[same]) {
                    same++;
                }
                assertTrue(same >= prompt.length + 10, "the engine's tokens before the loss are kept: %d of them".formatted(same - prompt.length));
                if (survived.finishReason() == FinishReason.LENGTH) {
                    assertEquals(prompt.length + 400, survived.tokens().length, "and the stream went on to max_tokens on the layer stages");
                }
            } finally {
                engineAgent.close();
                engineNode.close();
            }
            ShardPlan replanned = awaitPlanOn(cpuNode, cpuNode.nodeId());
            assertEquals(List.of(cpuNode.nodeId()), replanned.stages().stream().map(ShardPlan.Stage::node).toList());
            InferenceEngine steps = new InferenceEngine(new Pipeline(replanned, new EventBusTransport(cpuNode.vertx(), Duration.ofSeconds(20), WireFormat.F32),
                    Duration.ofSeconds(30)), model.tokenizer(), 512, 512, new ClusterGenerators(cpuNode, "stories260K", WAIT));
            GenerationResult reference = steps.generate(new GenerationRequest(new int[] {1}, 200, SamplingParams.greedy()), TokenSink.discard());
            assertArrayEquals(StoriesReference.load().sequence(201), reference.tokens(), "layer stages again: the reference ids");
            assertEquals(FinishReason.LENGTH, reference.finishReason());
        }
    }

    /** The first ready plan of stories260K whose stages are all on {@code nodeId}. */
    private static ShardPlan awaitPlanOn(ClusterNode node, String nodeId) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long after = 0;
        while (System.nanoTime() < deadline) {
            try {
                ShardPlan plan = ClusterPlans.awaitReady(node, "stories260K", after, Duration.ofSeconds(5));
                if (plan.stages().stream().allMatch(s -> s.node().equals(nodeId))) {
                    return plan;
                }
                after = plan.epoch();
            } catch (RuntimeException e) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("no plan on " + nodeId + " within " + WAIT + ": " + ClusterPlans.describe(node, "stories260K"));
    }
}
