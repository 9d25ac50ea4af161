package dev.baremetalrt.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.MemoryReport;
import dev.baremetalrt.spi.ProbeResult;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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

    /** A 4-layer synthetic model of {@code type}, in a temporary file, open for {@code body}. */
    private static void withModel(WeightType type, ModelBody body) throws Exception {
        Path file = Files.createTempFile("brt-djl-test", ".gguf");
        try {
            SyntheticModelGenerator.write(new ModelShape("t", 64, 96, 4, 4, 2, 320, 64, 10000f), type, 3, file);
            try (LlamaModel model = LlamaModel.open(file)) {
                body.run(model);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @FunctionalInterface
    private interface ModelBody {
        void run(LlamaModel model) throws Exception;
    }

    @Test
    void loadingReportsEachLayer() throws Exception {
        withModel(WeightType.Q8_0, model -> {
            List<String> reports = new CopyOnWriteArrayList<>();
            try (Backend backend = provider.open(BackendOptions.defaults());
                 Shard shard = backend.load(new ShardSpec(model, new LayerRange(1, 4), false, true, 32), (done, layers) -> reports.add(done + "/" + layers))) {
                assertEquals(List.of("1/3", "2/3", "3/3"), reports);
                assertEquals(3, shard.spec().layers().size());
            }
        });
    }

    @Test
    void aClosedBackendRefusesToLoad() throws Exception {
        withModel(WeightType.F32, model -> {
            Backend backend = provider.open(new BackendOptions(0, Map.of("device", "cpu")));
            backend.close();
            backend.close(); // idempotent
            assertEquals(MemoryReport.EMPTY, backend.memory());
            BackendException refused = assertThrows(BackendException.class, () -> backend.load(new ShardSpec(model, new LayerRange(0, 2), true, true, 16)));
            assertTrue(refused.getMessage().contains("closed") && refused.getMessage().contains("layers [0, 2)"), refused.getMessage());
        });
    }
}
