package dev.baremetalrt.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.GenerationSpec;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.TokenGenerator;
import dev.baremetalrt.spi.WeightType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The whole-model rules, for backends whose shards generate tokens themselves ({@link Shard#generator()}, e.g.
 * TensorRT-LLM). They check the generation protocol, not the numbers (a whole-model engine holds its own
 * weights): extend it, return the provider and the options that open your engine (any engine whose
 * vocabulary has at least {@link #VOCAB} tokens: prompts use ids below it). The suite passes its own synthetic model (GQA shape, {@link #VOCAB} tokens) as the
 * {@link ShardSpec}'s weights, for the vocabulary size and the layer count.
 *
 * <p>Rules (the number is in each test's name; what to look at when one fails):
 * <ul>
 *   <li><b>G1</b> a greedy generation streams its tokens in order and ends with {@code LENGTH} after exactly
 *       {@code maxTokens} tokens; the same request again gives the same tokens. Look at how partial responses
 *       are concatenated (only new tokens per response) and at greedy sampling settings.</li>
 *   <li><b>G2</b> eight requests running at once each give the tokens they give alone: responses must be
 *       routed by request id, never by arrival order.</li>
 *   <li><b>G3</b> an end token id ends the generation with {@code END_TOKEN} and is not returned; a second end
 *       id in the list works too (the caller may enforce what the engine cannot).</li>
 *   <li><b>G4</b> a stop sequence ends it with {@code STOP_SEQUENCE}, and is returned.</li>
 *   <li><b>G5</b> {@code cancel} ends a running generation with {@code CANCELLED} within 2 s; exactly one
 *       terminal call, no tokens after it.</li>
 *   <li><b>G6</b> bad input is refused with a {@link BackendException} naming the request, before the engine
 *       sees it: a token id outside the vocabulary.</li>
 *   <li><b>G7</b> closing the backend while requests run ends each of them exactly once within 5 s, refuses
 *       new ones with a {@link BackendException}, and leaves none of the backend's threads running.</li>
 *   <li><b>G8</b> part of a model is refused at load with a {@link BackendException} naming the layer range, and
 *       the step API ({@code forward}) of a generating shard is refused with one too.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class GeneratorConformanceTest {
    /** Vocabulary of the suite's model; the engine under test must accept ids below it. */
    public static final int VOCAB = 320;
    private static final int[] PROMPT = {1, 17, 260, 299, 5, 42};

    private Path dir;
    private Path modelFile;

    /** The backend under test. */
    protected abstract BackendProvider provider();

    /** Options that open it on an engine whose vocabulary holds at least {@link #VOCAB} tokens. */
    protected abstract BackendOptions options();

    @BeforeAll
    void generateModel() throws IOException {
        dir = Files.createTempDirectory("brt-generator-conformance");
        modelFile = dir.resolve("gqa.gguf");
        SyntheticModelGenerator.write(BackendReferenceTest.GQA, WeightType.F32, 1234, modelFile);
    }

    @AfterAll
    void deleteModel() throws IOException {
        Files.deleteIfExists(modelFile);
        Files.deleteIfExists(dir);
    }

    /** Opens the backend, loads the whole model and runs {@code body} with its generator. */
    private void withGenerator(GeneratorBody body) throws Exception {
        try (LlamaModel model = LlamaModel.open(modelFile); Backend backend = provider().open(options())) {
            Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, model.config().layerCount()), true, true, 256));
            try {
                TokenGenerator generator = shard.generator().orElseThrow(
                        () -> new AssertionError("the shard offers no generator: GeneratorConformanceTest is for whole-model engines"));
                body.run(generator);
            } finally {
                shard.close();
            }
        }
    }

    @FunctionalInterface
    private interface GeneratorBody {
        void run(TokenGenerator generator) throws Exception;
    }

    private static int[] run(TokenGenerator g, GenerationSpec spec, TokenGenerator.Finish expected) throws Exception {
        CollectingListener c = new CollectingListener();
        g.start(spec, c);
        assertEquals(expected, c.await(30), "finish of request " + spec.requestId());
        assertEquals(1, c.terminalCalls(), "one terminal call for " + spec.requestId());
        return c.ids();
    }

    @Test
    void g1GreedyStreamsExactlyMaxTokensAndRepeats() throws Exception {
        withGenerator(g -> {
            int[] first = run(g, GenerationSpec.greedy("g1-a", PROMPT, 24), TokenGenerator.Finish.LENGTH);
            assertEquals(24, first.length, "exactly maxTokens tokens");
            assertTrue(Arrays.stream(first).allMatch(t -> t >= 0), "tokens are ids (a real engine's vocabulary may be larger than the suite's)");
            assertArrayEquals(first, run(g, GenerationSpec.greedy("g1-b", PROMPT, 24), TokenGenerator.Finish.LENGTH), "greedy repeats");
        });
    }

    @Test
    void g2ConcurrentRequestsEqualRequestsAlone() throws Exception {
        withGenerator(g -> {
            List<int[]> alone = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                alone.add(run(g, GenerationSpec.greedy("g2-alone-" + i, new int[] {1, 10 + i}, 16), TokenGenerator.Finish.LENGTH));
            }
            List<CollectingListener> together = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                CollectingListener c = new CollectingListener();
                together.add(c);
                g.start(GenerationSpec.greedy("g2-together-" + i, new int[] {1, 10 + i}, 16), c);
            }
            for (int i = 0; i < 8; i++) {
                assertEquals(TokenGenerator.Finish.LENGTH, together.get(i).await(30));
                assertArrayEquals(alone.get(i), together.get(i).ids(), "request " + i + " alone and among 8");
            }
        });
    }

    @Test
    void g3EndTokenEndsAndIsNotReturned() throws Exception {
        withGenerator(g -> {
            int[] all = run(g, GenerationSpec.greedy("g3-all", PROMPT, 24), TokenGenerator.Finish.LENGTH);
            int end = all[10];
            int upTo = firstIndex(all, end);
            assertArrayEquals(Arrays.copyOf(all, upTo), run(g, GenerationSpec.greedy("g3-end", PROMPT, 24, end), TokenGenerator.Finish.END_TOKEN));
            int unused = java.util.stream.IntStream.range(0, VOCAB).filter(t -> firstIndex(all, t) == all.length).findFirst().orElseThrow();
            assertArrayEquals(Arrays.copyOf(all, upTo), run(g, GenerationSpec.greedy("g3-second", PROMPT, 24, unused, end), TokenGenerator.Finish.END_TOKEN),
                    "the second of two end ids");
        });
    }

    private static int firstIndex(int[] tokens, int token) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == token) {
                return i;
            }
        }
        return tokens.length;
    }

    @Test
    void g4StopSequenceEndsAndIsReturned() throws Exception {
        withGenerator(g -> {
            int[] all = run(g, GenerationSpec.greedy("g4-all", PROMPT, 24), TokenGenerator.Finish.LENGTH);
            int[] stop = {all[12], all[13]};
            int[] got = run(g, new GenerationSpec("g4-stop", PROMPT, 24, 0, 0, 1, 0, 1, 0, 0, OptionalLong.empty(), new int[0], List.of(stop)),
                    TokenGenerator.Finish.STOP_SEQUENCE);
            assertTrue(got.length >= 2 && got.length <= 14, "ends at the stop sequence, by token 13: " + got.length);
            assertArrayEquals(Arrays.copyOf(all, got.length), got, "the same tokens up to the stop");
            assertArrayEquals(stop, Arrays.copyOfRange(got, got.length - 2, got.length), "the stop sequence is returned");
        });
    }

    @Test
    void g5CancelEndsARunningGeneration() throws Exception {
        withGenerator(g -> {
            CollectingListener c = new CollectingListener();
            TokenGenerator.Generation running = g.start(GenerationSpec.greedy("g5", PROMPT, 100_000), c);
            long waitUntil = System.nanoTime() + 10_000_000_000L;
            while (c.tokenCount() == 0 && System.nanoTime() < waitUntil) {
                Thread.sleep(2);
            }
            long start = System.nanoTime();
            running.cancel();
            assertEquals(TokenGenerator.Finish.CANCELLED, c.await(5));
            assertTrue(System.nanoTime() - start < 2_000_000_000L, "cancelled within 2 s");
            Thread.sleep(100);
            assertEquals(1, c.terminalCalls(), "exactly one terminal call");
            assertEquals(0, c.tokensAfterEnd(), "no tokens after the end");
        });
    }

    @Test
    void g6BadInputIsRefusedNamingTheRequest() throws Exception {
        withGenerator(g -> {
            BackendException e = assertThrows(BackendException.class, () -> g.start(GenerationSpec.greedy("g6-bad", new int[] {1, VOCAB}, 4), new CollectingListener()));
            assertTrue(e.getMessage().contains("g6-bad"), "names the request: " + e.getMessage());
        });
    }

    @Test
    void g7CloseEndsRunningRequestsOnceAndLeavesNoThread() throws Exception {
        Set<Long> before = Thread.getAllStackTraces().keySet().stream().map(Thread::threadId).collect(Collectors.toSet());
        List<CollectingListener> all = new ArrayList<>();
        TokenGenerator generator;
        try (LlamaModel model = LlamaModel.open(modelFile)) {
            Backend backend = provider().open(options());
            Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, model.config().layerCount()), true, true, 256));
            generator = shard.generator().orElseThrow();
            for (int i = 0; i < 6; i++) {
                CollectingListener c = new CollectingListener();
                all.add(c);
                generator.start(GenerationSpec.greedy("g7-" + i, new int[] {1, 30 + i}, 100_000), c);
            }
            backend.close();
        }
        for (CollectingListener c : all) {
            c.ended().get(5, TimeUnit.SECONDS);
            assertEquals(1, c.terminalCalls(), "each running request ends exactly once");
        }
        TokenGenerator closed = generator;
        assertThrows(BackendException.class, () -> closed.start(GenerationSpec.greedy("g7-late", PROMPT, 4), new CollectingListener()));
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<String> left = List.of();
        while (System.nanoTime() < deadline) {
            left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).filter(t -> !before.contains(t.threadId()))
                    .map(Thread::getName).filter(n -> !n.startsWith("ForkJoinPool.commonPool") && !n.equals("Common-Cleaner") && !n.startsWith("junit-")).toList();
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("threads still running 5 s after close: " + left);
    }

    @Test
    void g8PartialModelsAndForwardStepsAreRefused() throws Exception {
        try (LlamaModel model = LlamaModel.open(modelFile); Backend backend = provider().open(options())) {
            BackendException partial = assertThrows(BackendException.class,
                    () -> backend.load(new ShardSpec(model, new LayerRange(0, 1), true, false, 64)).close());
            assertTrue(partial.getMessage().contains("[0, 1)"), "names the layer range: " + partial.getMessage());
            Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, model.config().layerCount()), true, true, 64));
            try {
                assertThrows(BackendException.class, () -> shard.forward(StepBatch.of(SessionStep.ofTokens("g8", 0, PROMPT, SessionStep.Logits.LAST))));
            } finally {
                shard.close();
            }
        }
    }
}
