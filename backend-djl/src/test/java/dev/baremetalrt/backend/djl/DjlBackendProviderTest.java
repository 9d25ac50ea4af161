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
    void loadingReportsEachLayer() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("brt-djl-progress", ".gguf");
        try {
            dev.baremetalrt.core.synth.SyntheticModelGenerator.write(new dev.baremetalrt.core.synth.ModelShape("p", 64, 96, 4, 4, 2, 320, 64, 10000f),
                    WeightType.Q8_0, 3, file);
            java.util.List<String> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (dev.baremetalrt.core.model.LlamaModel model = dev.baremetalrt.core.model.LlamaModel.open(file);
                 Backend backend = provider.open(BackendOptions.defaults());
                 dev.baremetalrt.spi.Shard shard = backend.load(new dev.baremetalrt.spi.ShardSpec(model, new dev.baremetalrt.spi.LayerRange(1, 4), false, true, 32),
                         (done, layers) -> reports.add(done + "/" + layers))) {
                assertEquals(java.util.List.of("1/3", "2/3", "3/3"), reports);
                assertEquals(3, shard.spec().layers().size());
            }
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void aClosedBackendRefusesToLoad() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("brt-djl-closed", ".gguf");
        try {
            dev.baremetalrt.core.synth.SyntheticModelGenerator.write(new dev.baremetalrt.core.synth.ModelShape("c", 64, 96, 2, 4, 2, 320, 64, 10000f),
                    WeightType.F32, 5, file);
            try (dev.baremetalrt.core.model.LlamaModel model = dev.baremetalrt.core.model.LlamaModel.open(file)) {
                Backend backend = provider.open(new BackendOptions(0, Map.of("device", "cpu")));
                backend.close();
                backend.close(); // idempotent
                assertEquals(dev.baremetalrt.spi.MemoryReport.EMPTY, backend.memory());
                BackendException refused = assertThrows(BackendException.class,
                        () -> backend.load(new dev.baremetalrt.spi.ShardSpec(model, new dev.baremetalrt.spi.LayerRange(0, 2), true, true, 16)));
                assertTrue(refused.getMessage().contains("closed") && refused.getMessage().contains("layers [0, 2)"), refused.getMessage());
            }
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }
}
