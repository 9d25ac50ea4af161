package dev.baremetalrt.backend.tensorrt;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.ProbeResult;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What brt backends shows for tensorrt-llm, and the refusals of open. */
class TensorRtBackendProviderTest {
    private final TensorRtBackendProvider provider = new TensorRtBackendProvider();

    @Test
    void withoutTheBridgeLibraryTheProbeSaysHowToBuildIt() {
        ProbeResult probe = provider.probe(new BackendOptions(0, Map.of("library", "/nonexistent/libbrt_trtllm.so")));
        assertFalse(probe.available());
        assertTrue(probe.detail().contains("/nonexistent/libbrt_trtllm.so") && probe.detail().contains("TRTLLM_ROOT"), probe.detail());
        BackendException e = assertThrows(BackendException.class, () -> provider.open(new BackendOptions(0, Map.of("library", "/nonexistent/libbrt_trtllm.so"))));
        assertTrue(e.getMessage().contains("cannot run here"), e.getMessage());
    }

    @Test
    void withTheTestDoubleTheProbeNamesItAndOpenNeedsAnEngine() {
        String library = TestDouble.library().toString();
        ProbeResult probe = provider.probe(new BackendOptions(0, Map.of("library", library)));
        assertTrue(probe.available(), probe.detail());
        assertTrue(probe.detail().contains("test double"), "the probe says it is the test double: " + probe.detail());
        BackendException noEngine = assertThrows(BackendException.class, () -> provider.open(new BackendOptions(0, Map.of("library", library))));
        assertTrue(noEngine.getMessage().contains("BRT_TRTLLM_ENGINE"), noEngine.getMessage());
    }
}
