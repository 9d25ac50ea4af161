package dev.baremetalrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.backend.cpu.CpuBackendProvider;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.WeightType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Wider shapes than the conformance models: 256-wide rows (several gemv steps per lane for every format's
 * group size), a 5000-row head through gemv for one position and the tiled gemm for 20. Logits must match
 * the cpu backend.
 */
@Tag("gpu")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaKernelPathsTest {
    private static final ModelShape WIDE_HEAD = new ModelShape("wide-head", 256, 512, 2, 4, 2, 5000, 256, 10000f);

    @BeforeEach
    void needsGpu() {
        Gpu.assumeAvailable();
    }

    @ParameterizedTest(name = "{0}: gemm prefill and gemv decode of 256-wide rows and a 5000-row head match the cpu backend")
    @EnumSource(value = WeightType.class, names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void largeMatrixKernelsMatchCpu(WeightType type) throws IOException {
        Path file = Files.createTempFile("brt-wide-head", ".gguf");
        try {
            SyntheticModelGenerator.write(WIDE_HEAD, type, 99, file);
            try (LlamaModel model = LlamaModel.open(file)) {
                float[][] cpu = run(model, new CpuBackendProvider());
                float[][] cuda = run(model, new CudaBackendProvider());
                for (int step = 0; step < cpu.length; step++) {
                    double scale = 1;
                    double worst = 0;
                    for (int i = 0; i < cpu[step].length; i++) {
                        scale = Math.max(scale, Math.abs(cpu[step][i]));
                        worst = Math.max(worst, Math.abs(cpu[step][i] - cuda[step][i]));
                    }
                    assertTrue(worst <= 1e-3 * scale, "%s step %d: logits differ by %.3g (scale %.3g)".formatted(type, step, worst, scale));
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * A 100-position prompt goes through the tensor cores (F16 inputs, F32 sums). Allowed: 1% of the logit
     * scale, ten times the FP32 paths' bound; measured on an H100: see docs/benchmarks.md.
     */
    @ParameterizedTest(name = "{0}: tensor-core prefill of 100 positions matches the cpu backend within 1%")
    @EnumSource(value = WeightType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void tensorCorePrefillMatchesCpu(WeightType type) throws IOException {
        Path file = Files.createTempFile("brt-wide-head", ".gguf");
        try {
            SyntheticModelGenerator.write(WIDE_HEAD, type, 7, file);
            try (LlamaModel model = LlamaModel.open(file)) {
                int[] prompt = java.util.stream.IntStream.range(0, 100).map(i -> 1 + i * 37 % 4990).toArray();
                float[] cpu = prefill(model, new CpuBackendProvider(), prompt);
                float[] cuda = prefill(model, new CudaBackendProvider(), prompt);
                double scale = 1;
                double worst = 0;
                for (int i = 0; i < cpu.length; i++) {
                    scale = Math.max(scale, Math.abs(cpu[i]));
                    worst = Math.max(worst, Math.abs(cpu[i] - cuda[i]));
                }
                System.out.printf("tensor-core prefill %s: max |logit difference| %.3g of scale %.3g (%.2g)%n", type, worst, scale, worst / scale);
                assertTrue(worst <= 1e-2 * scale, "%s: logits differ by %.3g (scale %.3g)".formatted(type, worst, scale));
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Logits of every position of a prompt run in one call. */
    private static float[] prefill(LlamaModel model, BackendProvider provider, int[] prompt) {
        try (LocalDeployment local = LocalDeployment.load(model, provider, BackendOptions.withThreads(2), 1, 128)) {
            Pipeline p = local.engine().pipeline();
            p.openSession("s");
            return p.forward(StepBatch.of(SessionStep.ofTokens("s", 0, prompt, SessionStep.Logits.ALL))).output("s").toFloatArray();
        }
    }

    /** Logits of the last prompt position (20 positions in one call), then of 3 single-position steps. */
    private static float[][] run(LlamaModel model, BackendProvider provider) {
        try (LocalDeployment local = LocalDeployment.load(model, provider, BackendOptions.withThreads(2), 1, 64)) {
            Pipeline p = local.engine().pipeline();
            p.openSession("s");
            int[] prompt = java.util.stream.IntStream.range(0, 20).map(i -> 1 + i * 211 % 4990).toArray();
            float[][] out = new float[4][];
            out[0] = p.forward(StepBatch.of(SessionStep.ofTokens("s", 0, prompt, SessionStep.Logits.LAST))).output("s").toFloatArray();
            for (int i = 1; i < 4; i++) {
                out[i] = p.forward(StepBatch.of(SessionStep.ofTokens("s", 19 + i, new int[] {7 * i}, SessionStep.Logits.LAST))).output("s").toFloatArray();
            }
            return out;
        }
    }
}
