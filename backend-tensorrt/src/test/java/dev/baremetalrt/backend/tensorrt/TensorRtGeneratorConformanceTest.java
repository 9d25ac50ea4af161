package dev.baremetalrt.backend.tensorrt;

import dev.baremetalrt.conformance.GeneratorConformanceTest;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;

/**
 * The whole-model rules G1-G8 against the tensorrt-llm backend running the test double of brt_trtllm.h (not
 * TensorRT-LLM: CI has no GPU). The real bridge runs the same class with BRT_TRTLLM_LIBRARY and an engine.
 */
class TensorRtGeneratorConformanceTest extends GeneratorConformanceTest {
    @Override
    protected BackendProvider provider() {
        return new TensorRtBackendProvider();
    }

    @Override
    protected BackendOptions options() {
        return TestDouble.options("{\"vocab_size\": " + VOCAB + ", \"step_us\": 500}");
    }
}
