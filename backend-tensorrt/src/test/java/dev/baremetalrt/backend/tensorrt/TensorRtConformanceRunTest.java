package dev.baremetalrt.backend.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.conformance.ConformanceRun;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@code brt conformance --backend tensorrt-llm} runs: the G rules (it is a whole-model engine), all passing on the test double. */
class TensorRtConformanceRunTest {
    @Test
    void theRunnerPicksTheWholeModelRulesAndTheyPass() {
        Map<String, String> settings = Map.of("brt.trtllm.library", TestDouble.library().toString(), "brt.trtllm.engine", TestDouble.engine().toString(),
                "brt.trtllm.options", "{\"vocab_size\": 32000, \"step_us\": 300}");
        settings.forEach(System::setProperty);
        try {
            ConformanceRun.Report report = ConformanceRun.run("class:" + TensorRtBackendProvider.class.getName());
            assertTrue(report.allPassed(), () -> report.cases().toString());
            assertEquals(java.util.List.of("G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8"), java.util.List.copyOf(report.byRule().keySet()));
        } finally {
            settings.keySet().forEach(System::clearProperty);
        }
    }
}
