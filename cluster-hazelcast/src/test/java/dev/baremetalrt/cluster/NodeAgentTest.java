package dev.baremetalrt.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.backend.cpu.CpuBackendProvider;

import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.conformance.StoriesReference;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.InferenceEngine;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.model.Models;
import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.core.tokenizer.Tokenizer;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.ShardPlan;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three members in this JVM: two offer stories260K, the third a different file under the same name. The
 * oldest member plans, the holders load their stages, the odd one is refused with the reason, and when a
 * holder leaves the model is re-planned onto the rest and still gives the reference ids.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeAgentTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final List<AutoCloseable> open = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterAll
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private static int[] greedy(ClusterNode node, ShardPlan plan, Tokenizer tokenizer) {
        InferenceEngine engine = new InferenceEngine(new Pipeline(plan, new EventBusTransport(node.vertx(), Duration.ofSeconds(20), WireFormat.F32), Duration.ofSeconds(30)),
                tokenizer, 512, 512);
        return engine.generate(new GenerationRequest(new int[] {1}, 200, SamplingParams.greedy()), TokenSink.discard()).tokens();
    }

    @Test
    void holdersArePlannedTheOddCopyIsRefusedAndALeaveIsReplanned() throws Exception {
        Path stories = SharedModels.file("stories260K/stories260K.gguf");
        Path impostor = Files.createDirectories(dir.resolve("other")).resolve("stories260K.gguf");
        Files.copy(SharedModels.file("stories260K-gguf-derived/stories260K-F16.gguf"), impostor); // same name, other weights
        List<String> members = new ArrayList<>();
        int[] ports = LoopbackPorts.free(3);
        for (int p : ports) {
            members.add("127.0.0.1:" + p);
        }
        String name = "brt-agents-" + ProcessHandle.current().pid();
        ClusterNode[] nodes = new ClusterNode[3];
        NodeAgent[] agents = new NodeAgent[3];
        Path[] files = {stories, stories, impostor};
        for (int i = 0; i < 3; i++) {
            nodes[i] = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[i], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
            open.add(nodes[i]);
            // the oldest calibrates; the rest do not, so they count as equally fast
            Map<Path, Double> speeds = i == 0 ? NodeAgent.calibrate(new CpuBackendProvider(), BackendOptions.withThreads(1), List.of(files[i])) : Map.of();
            agents[i] = new NodeAgent(nodes[i], new CpuBackendProvider(), BackendOptions.withThreads(1), 1L << 30, List.of(files[i]), 512, speeds);
            open.add(agents[i]);
        }
        assertTrue(nodes[0].isCoordinator(), "the first member is the oldest");
        assertTrue(agents[0].inventory().models().getFirst().layersPerSecond() > 0, "calibration measured a speed");
        assertEquals(0.0, agents[1].inventory().models().getFirst().layersPerSecond(), "no calibration, no speed");

        // the oldest may be planned alone before the second holder has joined; the re-plan over both follows
        ShardPlan plan = ClusterPlans.awaitReady(nodes[0], "stories260K", WAIT);
        while (plan.stages().size() < 2) {
            plan = ClusterPlans.awaitReady(nodes[0], "stories260K", plan.epoch(), WAIT);
        }
        assertEquals(List.of(nodes[0].nodeId(), nodes[1].nodeId()), plan.stages().stream().map(ShardPlan.Stage::node).toList(), "one stage per holder of the real model");
        // the third node's inventory may reach the coordinator a tick after the holders' plan is ready
        JsonObject published = new JsonObject(ClusterPlans.describe(nodes[0], "stories260K"));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!published.getJsonObject("refused").containsKey(nodes[2].nodeId()) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            published = new JsonObject(ClusterPlans.describe(nodes[0], "stories260K"));
        }
        String why = published.getJsonObject("refused").getString(nodes[2].nodeId());
        assertTrue(why != null && why.contains("checksum") && why.contains("gets no shard"), "the odd copy is refused, saying why: " + published.encodePrettily());
        JsonObject inventory = ClusterStatus.snapshot(nodes[0]).getJsonArray("members").getJsonObject(0).getJsonObject("inventory");
        assertTrue(inventory.getString("probe").contains("threads") && inventory.getJsonArray("devices").getString(0).startsWith("cpu: "),
                "the inventory carries the backend's probe and devices: " + inventory.encodePrettily());

        int[] expected = StoriesReference.load().sequence(201);
        try (var model = Models.open(stories)) {
            assertArrayEquals(expected, greedy(nodes[2], plan, model.tokenizer()), "served from the refused node: any member can drive a model");

            agents[1].close();
            nodes[1].close(); // a clean leave
            ShardPlan replanned = ClusterPlans.awaitReady(nodes[0], "stories260K", plan.epoch(), WAIT);
            assertEquals(List.of(nodes[0].nodeId()), replanned.stages().stream().map(ShardPlan.Stage::node).toList());
            assertArrayEquals(expected, greedy(nodes[0], replanned, model.tokenizer()), "the re-planned model gives the same ids");
        }
    }

    /**
     * A node that joins mid-stream makes the coordinator re-plan the model over both nodes; the stage the
     * stream was using moves to a new address, the pipeline recovers through the new epoch, and the stream
     * ends with the ids of a single-process run.
     */
    @Test
    void aNodeJoiningMidStreamIsPlannedInWithoutBreakingTheStream() throws Exception {
        Path stories = SharedModels.file("stories260K/stories260K.gguf");
        int[] ports = LoopbackPorts.free(3);
        List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1], "127.0.0.1:" + ports[2]);
        String name = "brt-rebalance-" + ProcessHandle.current().pid();
        ClusterNode a = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[0], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
        open.add(a);
        open.add(new NodeAgent(a, new CpuBackendProvider(), BackendOptions.withThreads(1), 1L << 30, List.of(stories), 512, Map.of()));
        ClusterNode client = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[2], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
        open.add(client);
        try (var model = Models.open(stories);
             var alone = dev.baremetalrt.core.engine.LocalDeployment.load(model, new CpuBackendProvider(), BackendOptions.withThreads(1), 1, 512)) {
            int[] expected = alone.engine().generate(new GenerationRequest(new int[] {1}, 400, SamplingParams.greedy()), TokenSink.discard()).tokens();
            ShardPlan first = ClusterPlans.awaitReady(client, "stories260K", WAIT);
            assertEquals(1, first.stages().size());
            Pipeline pipeline = new Pipeline(first, new EventBusTransport(client, Duration.ofSeconds(20), WireFormat.F32), Duration.ofSeconds(30),
                    new ClusterPlanSource(client, "stories260K"));
            InferenceEngine engine = new InferenceEngine(pipeline, model.tokenizer(), 512, 512);
            int[] count = {0};
            int[] got = engine.generate(new GenerationRequest(new int[] {1}, 400, SamplingParams.greedy()), new TokenSink() {
                @Override
                public void onText(String text) {}

                @Override
                public void onToken(int token) {
                    if (++count[0] == 100) {
                        ClusterNode b = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[1], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
                        open.add(b);
                        open.add(new NodeAgent(b, new CpuBackendProvider(), BackendOptions.withThreads(1), 1L << 30, List.of(stories), 512, Map.of()));
                        ClusterPlans.awaitReady(client, "stories260K", first.epoch(), WAIT); // the re-plan is in place before the stream goes on
                    }
                }
            }).tokens();
            assertArrayEquals(expected, got, "the stream goes on across the re-plan");
            assertEquals(2, pipeline.plan().stages().size(), "the stream ended on the plan that includes the new node: " + pipeline.plan().describe());
        }
    }

    /**
     * Two nodes that each hold a little more than half of the model: when one leaves, no plan covers the
     * model, the coordinator publishes why (a server answers 503 with it), and when a node with room joins,
     * the model runs again with the reference ids.
     */
    @Test
    void aModelTheNodesLeftCannotHoldIsUnavailableUntilANodeWithRoomJoins() throws Exception {
        Path stories = SharedModels.file("stories260K/stories260K.gguf");
        long half;
        try (var model = Models.open(stories)) {
            long layers = 0;
            for (int l = 0; l < model.config().layerCount(); l++) {
                layers += model.layerWeightBytes(l);
            }
            half = (layers + 2 * model.headWeightBytes()) * 6 / 10;
        }
        int[] ports = LoopbackPorts.free(4);
        List<String> members = new ArrayList<>();
        for (int p : ports) {
            members.add("127.0.0.1:" + p);
        }
        String name = "brt-capacity-" + ProcessHandle.current().pid();
        ClusterNode[] nodes = new ClusterNode[4];
        NodeAgent[] agents = new NodeAgent[4];
        for (int i : new int[] {0, 1, 3}) { // 3 is the client; 2 joins later
            nodes[i] = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[i], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
            open.add(nodes[i]);
            if (i < 2) {
                agents[i] = new NodeAgent(nodes[i], new CpuBackendProvider(), BackendOptions.withThreads(1), half, List.of(stories), 512, Map.of());
                open.add(agents[i]);
            }
        }
        // until the second node's inventory arrives, the first alone cannot hold the model: that is published too
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (ClusterPlans.unavailable(nodes[3], "stories260K").isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        ShardPlan plan = ClusterPlans.awaitReady(nodes[3], "stories260K", WAIT);
        assertEquals(2, plan.stages().size(), "neither node holds the model alone: " + plan.describe());
        assertTrue(ClusterPlans.unavailable(nodes[3], "stories260K").isEmpty());

        agents[1].close();
        nodes[1].close();
        deadline = System.nanoTime() + WAIT.toNanos();
        while (ClusterPlans.unavailable(nodes[3], "stories260K").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        String why = ClusterPlans.unavailable(nodes[3], "stories260K").orElseThrow();
        assertTrue(why.contains("cannot run") && why.contains("fit"), why);

        nodes[2] = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[2], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
        open.add(nodes[2]);
        open.add(new NodeAgent(nodes[2], new CpuBackendProvider(), BackendOptions.withThreads(1), 1L << 30, List.of(stories), 512, Map.of()));
        deadline = System.nanoTime() + WAIT.toNanos();
        while (ClusterPlans.unavailable(nodes[3], "stories260K").isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(ClusterPlans.unavailable(nodes[3], "stories260K").isEmpty(), "capacity is back");
        ShardPlan back = ClusterPlans.awaitReady(nodes[3], "stories260K", plan.epoch(), WAIT);
        try (var model = Models.open(stories)) {
            assertArrayEquals(StoriesReference.load().sequence(201), greedy(nodes[3], back, model.tokenizer()));
        }
    }
}
