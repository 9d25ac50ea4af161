package dev.baremetalrt.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.ProbeResult;
import dev.baremetalrt.spi.WeightType;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Discovery, probe and device selection of the djl backend (on a machine with the CPU libtorch and no GPU, as CI). */
class DjlBackendProviderTest {
    private final DjlBackendProvider provider = new DjlBackendProvider();

    @Test
    void probeSaysWhatItFoundAndThatItIsOffline() {
        ProbeResult probe = provider.probe();
        assertTrue(probe.available(), probe.detail());
        assertTrue(probe.detail().contains("PyTorch 2.7.1") && probe.detail().contains("offline"), probe.detail());
        assertEquals("cpu", probe.devices().getFirst().id());
        assertEquals("true", System.getProperty("ai.djl.offline"), "DJL must never try to download natives");
    }

    @Test
    void everyWeightTypeLoadsAndTheNoteSaysHowTheyRun() {
        try (Backend backend = provider.open(BackendOptions.defaults())) {
            assertEquals(EnumSet.allOf(WeightType.class), backend.capabilities().weightTypes());
            assertTrue(backend.capabilities().notes().contains("float32"), backend.capabilities().notes());
            assertEquals("cpu", backend.capabilities().devices().getFirst().id());
        }
    }

    @Test
    void aDeviceThisLibtorchDoesNotHaveIsRefusedClearly() {
        BackendException noGpu = assertThrows(BackendException.class,
                () -> provider.open(new BackendOptions(0, Map.of("device", "gpu:3"))).close());
        assertTrue(noGpu.getMessage().contains("gpu:3") && noGpu.getMessage().contains("GPU(s)"), noGpu.getMessage());
        BackendException unknown = assertThrows(BackendException.class,
                () -> provider.open(new BackendOptions(0, Map.of("device", "tpu"))).close());
        assertTrue(unknown.getMessage().contains("unknown device 'tpu'"), unknown.getMessage());
    }

    @Test
    void aClosedBackendRefusesToLoad() {
        Backend backend = provider.open(new BackendOptions(0, Map.of("device", "cpu")));
        backend.close();
        backend.close(); // idempotent
        assertEquals(dev.baremetalrt.spi.MemoryReport.EMPTY, backend.memory());
    }
}
