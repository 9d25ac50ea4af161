package dev.baremetalrt.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.backend.cpu.CpuBackendProvider;
import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.conformance.StoriesReference;
import dev.baremetalrt.core.engine.CapacityShardPlanner;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.InferenceEngine;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.NodeCapacity;
import dev.baremetalrt.spi.PlanRequest;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.TensorPayload;
import dev.baremetalrt.spi.TransportException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two cluster members in this JVM (two Hazelcast members on loopback), each serving stages of stories260K
 * on the cpu backend, driven through the event bus from the first member. The multi-process tests come
 * with the node command.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventBusTransportTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private ClusterNode a;
    private ClusterNode b;
    private LlamaModel model;
    private Backend backend;
    private ShardPlan plan;
    private final List<StageService> services = new ArrayList<>();
    private String clusterName;
    private List<String> members;

    @BeforeAll
    void startTwoNodesServingStories() throws IOException {
        int[] ports = LoopbackPorts.free(2);
        int portA = ports[0];
        int portB = ports[1];
        members = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB);
        String name = "brt-test-" + ProcessHandle.current().pid();
        clusterName = name;
        a = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", portA, members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
        b = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", portB, members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
        assertEquals(2, a.members().size(), "both nodes see each other");
        model = LlamaModel.open(SharedModels.file("stories260K/stories260K.gguf"));
        plan = new CapacityShardPlanner().plan(new PlanRequest(model.modelId(), 0, model.config().layerCount(), 0, 0, 0,
                List.of(new NodeCapacity(a.nodeId(), "cpu", 1L << 30, 1.0), new NodeCapacity(b.nodeId(), "cpu", 1L << 30, 1.0))));
        backend = new CpuBackendProvider().open(BackendOptions.withThreads(2));
        for (ShardPlan.Stage stage : plan.stages()) {
            ClusterNode host = stage.node().equals(a.nodeId()) ? a : b;
            var shard = backend.load(new ShardSpec(model, stage.layers(), stage.embedding(), stage.head(), 512));
            services.add(StageService.start(host.vertx(), stage, shard));
        }
    }

    @AfterAll
    void stop() {
        services.forEach(StageService::close);
        if (backend != null) {
            backend.close();
        }
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
        if (model != null) {
            model.close();
        }
    }

    private InferenceEngine engine(EventBusTransport transport) {
        return new InferenceEngine(new Pipeline(plan, transport, TIMEOUT), model.tokenizer(), 512, 512);
    }

    @Test
    void twoNodesGenerateTheReferenceIdsWithF32Activations() {
        assertEquals(2, plan.stages().size());
        assertTrue(plan.stages().stream().map(ShardPlan.Stage::node).distinct().count() == 2, "one stage on each node");
        EventBusTransport transport = new EventBusTransport(a.vertx(), TIMEOUT, WireFormat.F32, false); // relayed: the hop's bytes pass here
        var result = engine(transport).generate(new GenerationRequest(new int[] {1}, 200, SamplingParams.greedy()), TokenSink.discard());
        assertArrayEquals(StoriesReference.load().sequence(201), result.tokens());
        // 200 steps cross one hop with a 64-float hidden state each (plus the first stage's tokens): bytes per token per hop
        long perToken = transport.bytesSent() / 201;
        assertTrue(perToken < 64 * 4 + 200, "about one F32 hidden state per token per hop, got " + perToken + " bytes");
    }

    @Test
    void f16ActivationsHalveTheBytesAndStillFollowTheReferenceForSixtyFourPositions() {
        EventBusTransport f16 = new EventBusTransport(a.vertx(), TIMEOUT, WireFormat.F16);
        var result = engine(f16).generate(new GenerationRequest(new int[] {1, 403, 407, 261, 378}, 60, SamplingParams.greedy()), TokenSink.discard());
        assertArrayEquals(StoriesReference.load().sequence(65), result.tokens());
    }

    /** Q8_0 on the wire: about 0.27 of F32's bytes per hop, and stories260K's greedy ids still follow the reference. */
    @Test
    void q8_0ActivationsTakeAQuarterOfTheBytesAndStillFollowTheReference() {
        EventBusTransport f32 = new EventBusTransport(a.vertx(), TIMEOUT, WireFormat.F32, false);
        EventBusTransport q8 = new EventBusTransport(a.vertx(), TIMEOUT, WireFormat.Q8_0, false);
        GenerationRequest request = new GenerationRequest(new int[] {1, 403, 407, 261, 378}, 60, SamplingParams.greedy());
        engine(f32).generate(request, TokenSink.discard());
        var result = engine(q8).generate(request, TokenSink.discard());
        System.out.printf("stories260K, one hop, bytes per batch over 60 tokens: f32 %d, q8_0 %d%n", f32.bytesSent() / 60, q8.bytesSent() / 60);
        assertTrue(q8.bytesSent() * 2 < f32.bytesSent(), "q8_0 %d bytes vs f32 %d".formatted(q8.bytesSent(), f32.bytesSent()));
        assertArrayEquals(StoriesReference.load().sequence(65), result.tokens());
    }

    /**
     * Back-pressure: a stage that takes two forwards at a time answers the rest "busy"; the sender pauses
     * and asks again, so twelve concurrent forwards all complete, never more than two run at once, and the
     * counters see every position.
     */
    @Test
    void aBusyStageMakesSendersPauseAndRetryUntilEveryForwardCompletes() {
        java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        Shard slow = new TransportBenchmark.EchoShard(null) {
            @Override
            public StepResult forward(StepBatch batch) {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(40);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                running.decrementAndGet();
                return super.forward(batch);
            }
        };
        ShardPlan.Stage stage = new ShardPlan.Stage("slow", 0, b.nodeId(), "echo", new LayerRange(0, 1), false, false);
        EventBusTransport transport = new EventBusTransport(a.vertx(), TIMEOUT, WireFormat.F32);
        try (StageService service = StageService.start(b.vertx(), stage, slow, 2)) {
            List<java.util.concurrent.CompletableFuture<StepResult>> sent = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                TensorPayload hidden = TensorPayload.ofFloats(new float[] {i, -i}, 1, 2);
                sent.add(transport.forward(stage, StepBatch.of(SessionStep.ofHidden("s" + i, 0, hidden, SessionStep.Logits.LAST))));
            }
            for (int i = 0; i < 12; i++) {
                assertArrayEquals(new float[] {i, -i}, sent.get(i).join().output("s" + i).toFloatArray(), "forward " + i + " came back whole");
            }
            assertTrue(most.get() <= 2, "at most two forwards ran at once, saw " + most.get());
            assertTrue(transport.busyRetries() > 0, "some forwards were told to wait");
            StageService.Counters counters = service.counters();
            assertEquals(12, counters.positions());
            assertEquals(12, counters.forwards());
            assertTrue(counters.refusedBusy() > 0);
        }
    }

    /**
     * Chained: the first stage hands its output straight to the second, which sends the logits back. The ids are
     * the reference's, and only the token ids leave this node (the hidden states never come back through it).
     */
    @Test
    void chainedStagesHandTheirOutputOnAndGiveTheReferenceIds() {
        EventBusTransport relayed = new EventBusTransport(a.vertx(), TIMEOUT, WireFormat.F32, false);
        EventBusTransport chained = new EventBusTransport(a.vertx(), TIMEOUT, WireFormat.F32, true);
        GenerationRequest request = new GenerationRequest(new int[] {1}, 200, SamplingParams.greedy());
        assertArrayEquals(StoriesReference.load().sequence(201), engine(relayed).generate(request, TokenSink.discard()).tokens());
        assertArrayEquals(StoriesReference.load().sequence(201), engine(chained).generate(request, TokenSink.discard()).tokens());
        assertTrue(chained.bytesSent() * 3 < relayed.bytesSent(), "chained %d bytes from here, relayed %d".formatted(chained.bytesSent(), relayed.bytesSent()));
        chained.close();
    }

    /** A refusal by the second stage of a chain (no such session there) reaches the caller as that exception, with its message. */
    @Test
    void aRefusalInsideAChainArrivesAsTheSameException() {
        EventBusTransport transport = new EventBusTransport(a.vertx(), TIMEOUT, WireFormat.F32, true);
        transport.openSession(plan.stages().getFirst(), "first-only").join();
        try {
            CompletionException e = assertThrows(CompletionException.class, () -> transport.forwardThrough(plan.stages(),
                    StepBatch.of(SessionStep.ofTokens("first-only", 0, new int[] {1}, SessionStep.Logits.LAST))).join());
            SessionException refused = assertInstanceOf(SessionException.class, e.getCause());
            assertTrue(refused.getMessage().contains("first-only"), refused.getMessage());
        } finally {
            transport.release(plan.stages().getFirst(), "first-only").join();
        }
    }

    /** A chain whose next stage nobody serves fails fast with a transport error naming both ends, and never hangs. */
    @Test
    void aChainWhoseNextStageIsGoneFailsFastWithATransportError() {
        EventBusTransport transport = new EventBusTransport(a.vertx(), Duration.ofSeconds(2), WireFormat.F32, true);
        ShardPlan.Stage first = plan.stages().getFirst();
        ShardPlan.Stage second = plan.stages().get(1);
        ShardPlan.Stage gone = new ShardPlan.Stage(second.modelId(), second.index(), "no-such-node", second.backend(), second.layers(), second.embedding(), second.head());
        transport.openSession(first, "to-nowhere").join();
        try {
            long start = System.nanoTime();
            CompletionException e = assertThrows(CompletionException.class, () -> transport.forwardThrough(List.of(first, gone),
                    StepBatch.of(SessionStep.ofTokens("to-nowhere", 0, new int[] {1}, SessionStep.Logits.LAST))).join());
            TransportException t = assertInstanceOf(TransportException.class, e.getCause());
            assertTrue(t.getMessage().contains("could not hand its output") && t.getMessage().contains("no-such-node"), t.getMessage());
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "fails within the timeout, never hangs");
        } finally {
            transport.release(first, "to-nowhere").join();
        }
    }

    /**
     * Back-pressure between the stages of a chain: the second stage takes one forward at a time, so the first one
     * pauses and hands over again; twelve concurrent chains all come back whole.
     */
    @Test
    void aBusyNextStageMakesTheStageBeforeItPauseAndRetry() {
        Shard slow = new TransportBenchmark.EchoShard(null) {
            @Override
            public StepResult forward(StepBatch batch) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.forward(batch);
            }
        };
        ShardPlan.Stage echo = new ShardPlan.Stage("echo", 0, a.nodeId(), "echo", new LayerRange(0, 1), false, false);
        ShardPlan.Stage slowStage = new ShardPlan.Stage("echo", 1, b.nodeId(), "echo", new LayerRange(1, 2), false, false);
        EventBusTransport transport = new EventBusTransport(a.vertx(), TIMEOUT, WireFormat.F32, true);
        try (StageService first = StageService.start(a.vertx(), echo, new TransportBenchmark.EchoShard(null));
             StageService second = StageService.start(b.vertx(), slowStage, slow, 1)) {
            List<java.util.concurrent.CompletableFuture<StepResult>> sent = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                TensorPayload hidden = TensorPayload.ofFloats(new float[] {i, -i}, 1, 2);
                sent.add(transport.forwardThrough(List.of(echo, slowStage), StepBatch.of(SessionStep.ofHidden("c" + i, 0, hidden, SessionStep.Logits.LAST))));
            }
            for (int i = 0; i < 12; i++) {
                assertArrayEquals(new float[] {i, -i}, sent.get(i).join().output("c" + i).toFloatArray(), "chain " + i + " came back whole");
            }
            assertTrue(second.counters().refusedBusy() > 0, "the second stage told the first to wait");
            assertEquals(12, second.counters().forwards());
        }
    }

    /**
     * A node on a chain's route leaves while the chain waits on it: the caller's chain fails at once with a
     * transport error (so the pipeline re-plans), not at the chain's timeout.
     */
    @Test
    void aChainFailsAtOnceWhenANodeOnItsRouteLeaves() throws Exception {
        int portC = LoopbackPorts.free(1)[0];
        List<String> withC = new ArrayList<>(members);
        withC.add("127.0.0.1:" + portC);
        ClusterNode c = ClusterNode.join(new ClusterOptions(clusterName, "127.0.0.1", portC, withC, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Shard stuck = new TransportBenchmark.EchoShard(null) {
            @Override
            public StepResult forward(StepBatch batch) {
                entered.countDown();
                try {
                    release.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.forward(batch);
            }
        };
        ShardPlan.Stage echo = new ShardPlan.Stage("leaving", 0, a.nodeId(), "echo", new LayerRange(0, 1), false, false);
        ShardPlan.Stage onC = new ShardPlan.Stage("leaving", 1, c.nodeId(), "echo", new LayerRange(1, 2), false, false);
        EventBusTransport transport = new EventBusTransport(a, TIMEOUT, WireFormat.F32);
        try (StageService first = StageService.start(a.vertx(), echo, new TransportBenchmark.EchoShard(null))) {
            StageService.start(c.vertx(), onC, stuck);
            var chain = transport.forwardThrough(List.of(echo, onC),
                    StepBatch.of(SessionStep.ofHidden("leaving", 0, TensorPayload.ofFloats(new float[] {1, 2}, 1, 2), SessionStep.Logits.LAST)));
            assertTrue(entered.await(10, java.util.concurrent.TimeUnit.SECONDS), "the chain reached the stage on the leaving node");
            long start = System.nanoTime();
            Thread.ofPlatform().start(c::close); // a clean leave, while the stage is still working
            CompletionException e = assertThrows(CompletionException.class, chain::join);
            TransportException t = assertInstanceOf(TransportException.class, e.getCause());
            assertTrue(t.getMessage().contains("left the cluster"), t.getMessage());
            assertTrue(System.nanoTime() - start < TIMEOUT.toNanos() / 2, "failed when the node left, not at the timeout");
        } finally {
            release.countDown();
        }
    }

    @Test
    void aStageRefusalArrivesAsTheSameExceptionWithItsMessage() {
        EventBusTransport transport = new EventBusTransport(a.vertx(), TIMEOUT, WireFormat.F32);
        ShardPlan.Stage remote = plan.stages().stream().filter(s -> s.node().equals(b.nodeId())).findFirst().orElseThrow();
        ShardPlan.Stage first = plan.stages().getFirst();
        CompletionException e = assertThrows(CompletionException.class,
                () -> transport.forward(first, StepBatch.of(SessionStep.ofTokens("nobody", 0, new int[] {1}, SessionStep.Logits.LAST))).join());
        SessionException refused = assertInstanceOf(SessionException.class, e.getCause());
        assertTrue(refused.getMessage().contains("unknown session nobody"), refused.getMessage());
        assertThrows(CompletionException.class, () -> transport.openSession(remote, "twice").thenCompose(v -> transport.openSession(remote, "twice")).join());
        transport.release(remote, "twice").join();
    }

    @Test
    void aStageNobodyServesFailsFastWithATransportError() {
        EventBusTransport transport = new EventBusTransport(a.vertx(), Duration.ofSeconds(2), WireFormat.F32);
        ShardPlan.Stage stage = plan.stages().getFirst();
        ShardPlan.Stage gone = new ShardPlan.Stage(stage.modelId(), stage.index(), "no-such-node", stage.backend(), stage.layers(), stage.embedding(), stage.head());
        long start = System.nanoTime();
        CompletionException e = assertThrows(CompletionException.class, () -> transport.openSession(gone, "s").join());
        TransportException t = assertInstanceOf(TransportException.class, e.getCause());
        assertTrue(t.getMessage().contains("no node serves") || t.getMessage().contains("did not answer"), t.getMessage());
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "fails within the timeout, never hangs");
    }
}
