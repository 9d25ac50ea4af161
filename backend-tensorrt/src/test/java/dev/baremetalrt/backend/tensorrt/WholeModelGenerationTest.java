package dev.baremetalrt.backend.tensorrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.core.engine.FinishReason;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.GenerationResult;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * core's engine over a whole-model backend (what {@code brt generate --backend tensorrt-llm} runs): the engine
 * tokenizes, the test double generates, the engine decodes, enforces EOS and cancels.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WholeModelGenerationTest {
    private static final int VOCAB = 320;
    private Path model;

    @BeforeAll
    void writeModel() throws Exception {
        model = Files.createTempFile("brt-trtllm-model", ".gguf");
        SyntheticModelGenerator.write(new ModelShape("trt-test", 64, 96, 2, 4, 2, VOCAB, 256, 10000f), WeightType.F32, 7, model);
    }

    @AfterAll
    void deleteModel() throws Exception {
        Files.deleteIfExists(model);
    }

    private LocalDeployment deploy(LlamaModel m) {
        return LocalDeployment.load(m, new TensorRtBackendProvider(), TestDouble.options("{\"vocab_size\": 320, \"step_us\": 300}"), 1, 256);
    }

    @Test
    void theEngineGeneratesThroughTheBackendsOwnLoop() {
        try (LlamaModel m = LlamaModel.open(model); LocalDeployment local = deploy(m)) {
            int eos = m.tokenizer().eosId();
            int[] runsLong = {1, 40, 41, 42};
            int[] hitsEos = java.util.stream.IntStream.range(3, VOCAB).mapToObj(p -> new int[] {1, p})
                    .filter(p -> firstIndex(TestDouble.tokens(p, 30, VOCAB, 0), eos) < 20).findFirst().orElseThrow();
            for (int[] prompt : new int[][] {runsLong, hitsEos}) {
                GenerationResult result = local.engine().generate(new GenerationRequest(prompt, 30, SamplingParams.greedy()), TokenSink.discard());
                int[] generated = Arrays.copyOfRange(result.tokens(), prompt.length, result.tokens().length);
                int[] expected = TestDouble.tokens(prompt, 30, VOCAB, 0);
                int end = firstIndex(expected, eos);
                assertArrayEquals(Arrays.copyOf(expected, Math.min(30, end + 1)), generated,
                        "the double's tokens, up to and including EOS as the step-by-step engine records it: " + Arrays.toString(prompt));
                assertEquals(end < 30 ? FinishReason.STOP : FinishReason.LENGTH, result.finishReason());
                assertEquals(prompt.length, result.promptLength());
                assertEquals(m.tokenizer().decode(Arrays.copyOf(generated, end < 30 ? end : 30)).strip(), result.text().strip(), "decoded text");
            }
        }
    }

    private static int firstIndex(int[] tokens, int token) {
        int i = 0;
        while (i < tokens.length && tokens[i] != token) {
            i++;
        }
        return i;
    }

    @Test
    void aCancelledSinkStopsTheEnginesRequest() {
        try (LlamaModel m = LlamaModel.open(model); LocalDeployment local = deploy(m)) {
            AtomicInteger seen = new AtomicInteger();
            TokenSink sink = new TokenSink() {
                @Override
                public void onText(String text) {}

                @Override
                public void onToken(int token) {
                    seen.incrementAndGet();
                }

                @Override
                public boolean isCancelled() {
                    return seen.get() >= 3;
                }
            };
            GenerationResult result = local.engine().generate(new GenerationRequest(new int[] {1, 5}, 200, SamplingParams.greedy()), sink);
            assertTrue(result.finishReason() == FinishReason.CANCELLED || result.finishReason() == FinishReason.STOP, result.finishReason().toString());
        }
    }

    @Test
    void moreThanOneStageIsRefusedNamingTheRange() {
        try (LlamaModel m = LlamaModel.open(model)) {
            BackendException e = assertThrows(BackendException.class,
                    () -> LocalDeployment.load(m, new TensorRtBackendProvider(), TestDouble.options("{\"vocab_size\": 320}"), 2, 256).close());
            assertTrue(e.getMessage().contains("whole models only"), e.getMessage());
        }
    }
}
