package dev.baremetalrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.baremetalrt.backend.cpu.CpuBackendProvider;
import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.conformance.StoriesReference;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.GenerationResult;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.model.Models;
import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.MemoryReport;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** stories260K on the GPU against REFERENCE.md, a mixed cpu + cuda plan, memory release and out-of-memory. */
@Tag("gpu")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaStoriesTest {
    private static final String F32 = "stories260K/stories260K.gguf";

    @BeforeEach
    void needsGpu() {
        Gpu.assumeAvailable();
    }

    private static GenerationResult greedy(String file, String prompt, int maxTokens, List<BackendProvider> providers, int stages) {
        try (Model model = Models.open(SharedModels.file(file));
             LocalDeployment local = LocalDeployment.load(model, providers, BackendOptions.withThreads(2), stages, 512)) {
            return local.engine().generate(new GenerationRequest(model.tokenizer().encode(prompt), maxTokens, SamplingParams.greedy()), TokenSink.discard());
        }
    }

    @ParameterizedTest(name = "greedy from BOS, 200 positions, {0} stage(s)")
    @ValueSource(ints = {1, 2, 5})
    void greedyFromBosMatchesReference(int stages) {
        assertArrayEquals(StoriesReference.load().sequence(201), greedy(F32, "", 200, List.of(new CudaBackendProvider()), stages).tokens());
    }

    @ParameterizedTest(name = "greedy for \"Once upon a time\", 64 positions: {0}")
    @ValueSource(strings = {F32, "stories260K-gguf-derived/stories260K-F16.gguf", "stories260K-gguf-derived/stories260K-Q8_0.gguf"})
    void greedyFromPromptMatchesReference(String file) {
        assertArrayEquals(StoriesReference.load().sequence(65), greedy(file, "Once upon a time", 60, List.of(new CudaBackendProvider()), 1).tokens());
    }

    @ParameterizedTest(name = "mixed plan: {0}")
    @ValueSource(strings = {"cpu,cuda", "cuda,cpu"})
    void mixedCpuAndCudaPlanMatchesReference(String order) {
        List<BackendProvider> providers = Arrays.stream(order.split(","))
                .map(id -> id.equals("cpu") ? (BackendProvider) new CpuBackendProvider() : new CudaBackendProvider()).toList();
        GenerationResult result = greedy(F32, "", 200, providers, 2);
        assertArrayEquals(StoriesReference.load().sequence(201), result.tokens());
    }

    /** A 40-position prompt goes through the tiled gemm kernel in one call; greedy decoding must then follow the reference. */
    @Test
    void longPrefillThroughGemmContinuesTheReference() {
        int[] expected = StoriesReference.load().sequence(201);
        try (Model model = Models.open(SharedModels.file(F32));
             LocalDeployment local = LocalDeployment.load(model, new CudaBackendProvider(), BackendOptions.defaults(), 2, 512)) {
            GenerationResult result = local.engine().generate(new GenerationRequest(Arrays.copyOf(expected, 40), 161, SamplingParams.greedy()), TokenSink.discard());
            assertArrayEquals(expected, result.tokens());
        }
    }

    @Test
    void releaseAndCloseGiveTheMemoryBack() {
        try (Model model = Models.open(SharedModels.file(F32)); Backend backend = new CudaBackendProvider().open(BackendOptions.defaults())) {
            Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, 5), true, true, 256));
            MemoryReport loaded = shard.memory();
            assertTrue(loaded.weightBytes() > 0, "weights are resident on the device: " + loaded);
            assertEquals(0, loaded.kvCacheBytes());
            shard.openSession("a");
            shard.forward(StepBatch.of(SessionStep.ofTokens("a", 0, new int[] {1, 403, 407}, SessionStep.Logits.LAST)));
            // 5 layers x keys and values x 256 positions x kvDim 32 x 4 bytes
            assertEquals(2L * 5 * 256 * model.config().kvDim() * 4, shard.memory().kvCacheBytes());
            shard.release("a");
            assertEquals(0, shard.memory().kvCacheBytes());
            shard.close();
            assertEquals(MemoryReport.EMPTY, backend.memory(), "a closed shard holds nothing");
        }
    }

    @Test
    void outOfMemoryIsAClearErrorNamingTheLayerRange() {
        try (Model model = Models.open(SharedModels.file(F32)); Backend backend = new CudaBackendProvider().open(BackendOptions.defaults())) {
            // 1.28 KB of KV per position: 10^9 positions is 1.3 TB, far beyond any GPU
            Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, 5), true, true, 1_000_000_000));
            BackendException e = assertThrows(BackendException.class, () -> shard.openSession("huge"));
            assertTrue(e.getMessage().contains("out of memory") && e.getMessage().contains("layers [0, 5)") && e.getMessage().contains("GiB"), e.getMessage());
            assertThrows(dev.baremetalrt.spi.SessionException.class, () -> shard.sessionLength("huge"), "the failed session was not opened");
            assertEquals(0, shard.memory().kvCacheBytes(), "the failed allocation left nothing behind");
            assertThrows(BackendException.class, () -> shard.openSession("huge"), "and fails the same way again");
        }
    }
}
