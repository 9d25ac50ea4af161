package dev.baremetalrt.backend.tensorrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.conformance.CollectingListener;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.GenerationSpec;
import dev.baremetalrt.spi.TokenGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The whole Java + JNI + C path against the test double: streaming, limits, cancellation, errors, concurrency, shutdown. */
class NativeExecutorTest {
    private static final int VOCAB = 500;

    private static NativeExecutor executor(String options) {
        return new NativeExecutor(TestDouble.library(), TestDouble.engine(), options, VOCAB);
    }

    private static GenerationSpec greedy(String id, int[] prompt, int maxTokens) {
        return GenerationSpec.greedy(id, prompt, maxTokens);
    }

    @Test
    void streamsEveryTokenInOrderAndEndsAtMaxTokens() throws Exception {
        try (NativeExecutor e = executor("{\"vocab_size\": 500, \"step_us\": 200}")) {
            CollectingListener c = new CollectingListener();
            e.start(greedy("r1", new int[] {1, 17, 42}, 40), c);
            assertEquals(TokenGenerator.Finish.LENGTH, c.await(10));
            assertArrayEquals(TestDouble.tokens(new int[] {1, 17, 42}, 40, VOCAB, 0), c.ids());
            assertEquals(1, c.terminalCalls());
            assertTrue(e.version().contains("test double"), e.version());
        }
    }

    @Test
    void anEndIdEndsTheGenerationWithoutBeingReturned() throws Exception {
        int[] prompt = {1, 5};
        int[] all = TestDouble.tokens(prompt, 20, VOCAB, 0);
        try (NativeExecutor e = executor("{\"vocab_size\": 500, \"step_us\": 200}")) {
            CollectingListener c = new CollectingListener();
            e.start(GenerationSpec.greedy("r", prompt, 20, all[7]), c);
            assertEquals(TokenGenerator.Finish.END_TOKEN, c.await(10));
            int firstEnd = 0;
            while (all[firstEnd] != all[7]) {
                firstEnd++;
            }
            assertArrayEquals(java.util.Arrays.copyOf(all, firstEnd), c.ids());
        }
    }

    @Test
    void aSecondEndIdIsEnforcedOnTheJavaSide() throws Exception {
        int[] prompt = {3};
        int[] all = TestDouble.tokens(prompt, 20, VOCAB, 0);
        int engineEnd = java.util.stream.IntStream.range(0, VOCAB).filter(t -> java.util.Arrays.stream(all).noneMatch(x -> x == t)).findFirst().orElseThrow();
        int javaEnd = all[5];
        int firstJavaEnd = 0;
        while (all[firstJavaEnd] != javaEnd) {
            firstJavaEnd++;
        }
        try (NativeExecutor e = executor("{\"vocab_size\": 500, \"step_us\": 200}")) {
            CollectingListener c = new CollectingListener();
            e.start(GenerationSpec.greedy("r", prompt, 20, engineEnd, javaEnd), c); // the engine knows only the first
            assertEquals(TokenGenerator.Finish.END_TOKEN, c.await(10));
            assertArrayEquals(java.util.Arrays.copyOf(all, firstJavaEnd), c.ids());
        }
    }

    @Test
    void aStopSequenceEndsTheGenerationAndIsReturned() throws Exception {
        int[] prompt = {9, 10};
        int[] all = TestDouble.tokens(prompt, 30, VOCAB, 0);
        int[] stop = {all[11], all[12]};
        try (NativeExecutor e = executor("{\"vocab_size\": 500, \"step_us\": 200}")) {
            CollectingListener c = new CollectingListener();
            e.start(new GenerationSpec("r", prompt, 30, 0, 0, 1, 0, 1, 0, 0, OptionalLong.empty(), new int[0], List.of(stop)), c);
            assertEquals(TokenGenerator.Finish.STOP_SEQUENCE, c.await(10));
            int[] got = c.ids();
            assertTrue(got.length <= 13, "stopped by the end of token 12 at the latest");
            assertArrayEquals(java.util.Arrays.copyOf(all, got.length), got);
            assertArrayEquals(stop, java.util.Arrays.copyOfRange(got, got.length - 2, got.length));
        }
    }

    @Test
    void aSeedChangesSampledTokensAndGreedyIgnoresIt() throws Exception {
        int[] prompt = {4, 4};
        try (NativeExecutor e = executor("{\"vocab_size\": 500, \"step_us\": 100}")) {
            CollectingListener sampled = new CollectingListener();
            e.start(new GenerationSpec("s", prompt, 10, 0.8f, 40, 0.9f, 0, 1, 0, 0, OptionalLong.of(77), new int[0], List.of()), sampled);
            CollectingListener greedy = new CollectingListener();
            e.start(new GenerationSpec("g", prompt, 10, 0, 0, 1, 0, 1, 0, 0, OptionalLong.of(77), new int[0], List.of()), greedy);
            sampled.await(10);
            greedy.await(10);
            assertArrayEquals(TestDouble.tokens(prompt, 10, VOCAB, 77), sampled.ids());
            assertArrayEquals(TestDouble.tokens(prompt, 10, VOCAB, 0), greedy.ids());
        }
    }

    @Test
    void cancelEndsARunningGenerationAndNothingFollows() throws Exception {
        try (NativeExecutor e = executor("{\"vocab_size\": 500, \"step_us\": 20000}")) {
            CollectingListener c = new CollectingListener();
            TokenGenerator.Generation g = e.start(greedy("long", new int[] {1}, 10_000), c);
            while (c.tokenCount() < 2) {
                Thread.sleep(5);
            }
            long start = System.nanoTime();
            g.cancel();
            assertEquals(TokenGenerator.Finish.CANCELLED, c.await(10));
            assertTrue(System.nanoTime() - start < 2_000_000_000L, "cancelled within 2 s");
            Thread.sleep(100);
            assertEquals(0, c.tokensAfterEnd());
            assertEquals(1, c.terminalCalls());
            g.cancel(); // after the end: nothing happens
            assertEquals(0, e.running());
        }
    }

    @Test
    void anEngineErrorFailsOnlyThatRequest() throws Exception {
        try (NativeExecutor e = executor("{\"vocab_size\": 500, \"step_us\": 200, \"fail_on_token\": 13}")) {
            CollectingListener bad = new CollectingListener();
            CollectingListener good = new CollectingListener();
            e.start(greedy("bad-request", new int[] {1, 13}, 10), bad);
            e.start(greedy("good", new int[] {1, 14}, 10), good);
            Exception thrown = assertThrows(Exception.class, () -> bad.await(10));
            assertTrue(bad.error().getMessage().contains("bad-request") && bad.error().getMessage().contains("injected engine failure"), bad.error().getMessage());
            assertEquals(TokenGenerator.Finish.LENGTH, good.await(10), String.valueOf(thrown));
        }
    }

    @Test
    void manyConcurrentRequestsEachGetTheirOwnTokens() throws Exception {
        try (NativeExecutor e = executor("{\"vocab_size\": 500, \"step_us\": 300, \"max_queue_size\": 64}")) {
            List<CollectingListener> all = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                CollectingListener c = new CollectingListener();
                all.add(c);
                int[] prompt = {1, 2 + i};
                threads.add(Thread.ofPlatform().start(() -> e.start(greedy("c" + prompt[1], prompt, 25), c)));
            }
            for (Thread t : threads) {
                t.join();
            }
            for (int i = 0; i < all.size(); i++) {
                assertEquals(TokenGenerator.Finish.LENGTH, all.get(i).await(10));
                assertArrayEquals(TestDouble.tokens(new int[] {1, 2 + i}, 25, VOCAB, 0), all.get(i).ids(), "request " + i);
            }
            assertTrue(e.stats().get("completed_requests") >= 48, e.stats().toString());
        }
    }

    @Test
    void aFullQueueIsRefusedNamingTheLimit() throws Exception {
        try (NativeExecutor e = executor("{\"vocab_size\": 500, \"step_us\": 50000, \"max_queue_size\": 2}")) {
            e.start(greedy("a", new int[] {1}, 1000), new CollectingListener());
            e.start(greedy("b", new int[] {1}, 1000), new CollectingListener());
            BackendException full = assertThrows(BackendException.class, () -> e.start(greedy("c", new int[] {1}, 10), new CollectingListener()));
            assertTrue(full.getMessage().contains("request c") && full.getMessage().contains("max_queue_size"), full.getMessage());
        }
    }

    @Test
    void closingDuringRequestsEndsEachExactlyOnceAndRefusesNewOnes() throws Exception {
        NativeExecutor e = executor("{\"vocab_size\": 500, \"step_us\": 5000}");
        List<CollectingListener> all = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            CollectingListener c = new CollectingListener();
            all.add(c);
            e.start(greedy("s" + i, new int[] {1, i}, 100_000), c);
        }
        Thread.sleep(30);
        e.close();
        for (CollectingListener c : all) {
            assertEquals(TokenGenerator.Finish.CANCELLED, c.await(10));
            assertEquals(1, c.terminalCalls());
        }
        BackendException closed = assertThrows(BackendException.class, () -> e.start(greedy("late", new int[] {1}, 5), new CollectingListener()));
        assertTrue(closed.getMessage().contains("closed") && closed.getMessage().contains("late"), closed.getMessage());
        e.close(); // idempotent
        assertEquals(java.util.Map.of(), e.stats());
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("brt-trtllm-responses") && t.isAlive()),
                "the response thread stopped");
    }

    @Test
    void badInputIsRefusedBeforeItReachesNativeCode() {
        try (NativeExecutor e = executor("{\"vocab_size\": 500}")) {
            BackendException outside = assertThrows(BackendException.class, () -> e.start(greedy("x", new int[] {1, 500}, 5), new CollectingListener()));
            assertTrue(outside.getMessage().contains("outside the vocabulary of 500") && outside.getMessage().contains("request x"), outside.getMessage());
            assertThrows(IllegalArgumentException.class, () -> greedy("y", new int[0], 5));
            assertThrows(IllegalArgumentException.class, () -> greedy("y", new int[] {1}, 0));
            assertThrows(NullPointerException.class, () -> e.start(null, new CollectingListener()));
        }
    }

    @Test
    void engineAndOptionErrorsNameTheEngine() {
        Path library = TestDouble.library();
        Path missing = Path.of("/nonexistent/engine");
        BackendException noEngine = assertThrows(BackendException.class, () -> new NativeExecutor(library, missing, "", VOCAB));
        assertTrue(noEngine.getMessage().contains("/nonexistent/engine") && noEngine.getMessage().contains("config.json"), noEngine.getMessage());
        BackendException badOptions = assertThrows(BackendException.class, () -> new NativeExecutor(library, TestDouble.engine(), "{\"warp_speed\": 9}", VOCAB));
        assertTrue(badOptions.getMessage().contains("unknown key") && badOptions.getMessage().contains("warp_speed"), badOptions.getMessage());
        BackendException notJson = assertThrows(BackendException.class, () -> new NativeExecutor(library, TestDouble.engine(), "[1, 2]", VOCAB));
        assertTrue(notJson.getMessage().contains("JSON object"), notJson.getMessage());
    }

    @Test
    void aLibraryThatIsNotTheBridgeIsRefusedClearly() throws Exception {
        NativeLibrary.loadJni();
        Path notBridge = Path.of(System.getProperty("java.home"), "lib", System.mapLibraryName("zip"));
        NativeException e = assertThrows(NativeException.class, () -> NativeLibrary.implementation(notBridge));
        assertTrue(e.getMessage().contains("does not implement brt_trtllm.h: no symbol brt_trtllm_abi_version"), e.getMessage());
        assertEquals(NativeException.LOAD_FAILED, e.code());
    }
}
