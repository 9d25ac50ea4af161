package dev.baremetalrt.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.backend.cpu.CpuBackendProvider;
import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendCapabilities;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.LoadProgress;
import dev.baremetalrt.spi.MemoryReport;
import dev.baremetalrt.spi.ProbeResult;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** While a node loads its stage, the cluster status shows how many layers are in; once ready, only "ready". */
class LoadProgressTest {
    /** The cpu backend, with a load that takes 300 ms per layer and says so. */
    static final class SlowLoadingProvider implements BackendProvider {
        private final CpuBackendProvider cpu = new CpuBackendProvider();

        @Override
        public String id() {
            return "slow-cpu";
        }

        @Override
        public ProbeResult probe() {
            return cpu.probe();
        }

        @Override
        public Backend open(BackendOptions options) {
            Backend backend = cpu.open(options);
            return new Backend() {
                @Override
                public String id() {
                    return "slow-cpu";
                }

                @Override
                public BackendCapabilities capabilities() {
                    return backend.capabilities();
                }

                @Override
                public Shard load(ShardSpec spec) {
                    return load(spec, LoadProgress.NONE);
                }

                @Override
                public Shard load(ShardSpec spec, LoadProgress progress) {
                    for (int done = 1; done <= spec.layers().size(); done++) {
                        try {
                            Thread.sleep(300);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        progress.loaded(done, spec.layers().size());
                    }
                    return backend.load(spec);
                }

                @Override
                public MemoryReport memory() {
                    return backend.memory();
                }

                @Override
                public void close() {
                    backend.close();
                }
            };
        }
    }

    @Test
    void statusShowsLayersLoadedWhileAStageLoads() throws Exception {
        Path stories = SharedModels.file("stories260K/stories260K.gguf");
        int port = LoopbackPorts.free(1)[0];
        String name = "brt-progress-" + ProcessHandle.current().pid();
        try (ClusterNode node = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", port, List.of("127.0.0.1:" + port), false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
             NodeAgent agent = new NodeAgent(node, new SlowLoadingProvider(), BackendOptions.withThreads(1), 1L << 30, List.of(stories), 512, Map.of())) {
            List<String> seen = new ArrayList<>();
            long deadline = System.nanoTime() + 60_000_000_000L;
            boolean ready = false;
            while (!ready && System.nanoTime() < deadline) {
                for (Object p : ClusterStatus.snapshot(node).getJsonArray("plans")) {
                    JsonObject plan = (JsonObject) p;
                    if (!plan.containsKey("stages")) {
                        continue;
                    }
                    JsonObject stage = plan.getJsonArray("stages").getJsonObject(0);
                    ready = stage.getBoolean("ready");
                    if (stage.containsKey("progress")) {
                        JsonObject progress = stage.getJsonObject("progress");
                        seen.add(progress.getInteger("layersLoaded") + "/" + progress.getInteger("layers"));
                        assertTrue(progress.getString("nodeId").equals(node.nodeId()), progress.encode());
                    }
                    if (ready) {
                        assertFalse(stage.containsKey("progress"), "a ready stage shows no progress: " + stage.encode());
                    }
                }
                Thread.sleep(50);
            }
            assertTrue(ready, "the stage became ready");
            assertTrue(seen.stream().anyMatch(s -> !s.startsWith("0/") && !s.equals("5/5")), "a partial count was visible while loading: " + seen);
            assertTrue(seen.stream().allMatch(s -> s.endsWith("/5")), "counts are of the 5 layers: " + seen);
        }
    }
}
