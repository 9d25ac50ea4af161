package dev.baremetalrt.cli;

import dev.baremetalrt.cluster.ClusterNode;
import dev.baremetalrt.cluster.NodeAgent;
import dev.baremetalrt.spi.BackendOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code brt node}: join a cluster, offer model files, run the stages the cluster assigns until stopped. */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Join a cluster and offer this machine's model files and backend. The oldest member plans each model",
                "over the nodes that hold the same file (checked by content checksum); this node loads and serves the layers it is",
                "given. Ctrl-C (or SIGTERM) leaves the cluster cleanly."})
final class NodeCommand implements Callable<Integer> {
    @Option(names = "--model", description = "A model file or Hugging Face directory to offer (repeatable).")
    List<Path> models = List.of();

    @Option(names = "--backend", description = "Backend the stages run on (default: ${DEFAULT-VALUE}).", defaultValue = "cpu")
    String backend;

    @Option(names = "--threads", description = "Worker threads (default: all processors).", defaultValue = "0")
    int threads;

    @Option(names = "--memory", description = "Memory offered to stages, e.g. 12GB (default: the JVM's maximum heap plus the model files' size).")
    String memory;

    @Option(names = "--ctx", description = "Context capacity per session in tokens (default: ${DEFAULT-VALUE}).", defaultValue = "4096")
    int context;

    @Option(names = "--calibrate", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = {"Measure this node's decode speed on each offered model (a fraction of a second) so that faster nodes get",
                    "more layers (default). --no-calibrate counts every node as equally fast: right when nodes share one machine."})
    boolean calibrate;

    @Mixin
    ClusterJoinOptions cluster;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        for (Path model : models) {
            if (!java.nio.file.Files.exists(model)) {
                throw new dev.baremetalrt.spi.BrtException("--model %s: no such file or folder".formatted(model));
            }
        }
        ModelOptions backendOptions = new ModelOptions();
        backendOptions.backend = backend;
        var provider = backendOptions.provider();
        long offered = memory != null ? SynthCommand.parseSize("--memory", memory) : Runtime.getRuntime().maxMemory() + modelBytes();
        var clusterOptions = cluster.toOptions(); // a bad --tls folder fails before anything else
        Map<Path, Double> speeds = calibrate ? NodeAgent.calibrate(provider, BackendOptions.withThreads(threads), models) : Map.of();
        ClusterNode node = ClusterNode.join(clusterOptions);
        NodeAgent agent = new NodeAgent(node, provider, BackendOptions.withThreads(threads), offered, models, context, speeds);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread leave = new Thread(() -> {
            agent.close();
            node.close();
            stopped.countDown();
        }, "brt-node-leave");
        Runtime.getRuntime().addShutdownHook(leave);
        var out = spec.commandLine().getOut();
        out.printf("node %s joined cluster %s on %s (%d member(s)); offering %s on %s; Ctrl-C leaves%n", node.nodeId(), node.clusterName(),
                cluster.host, node.members().size(), agent.inventory().models().stream().map(m -> m.modelId()).toList(), provider.id());
        for (var offer : agent.inventory().models()) {
            if (offer.layersPerSecond() > 0) {
                out.printf("  %s: %.0f decoder layers/s per decode step on this node (calibration)%n", offer.modelId(), offer.layersPerSecond());
            }
        }
        out.flush();
        stopped.await();
        return 0;
    }

    private long modelBytes() {
        long total = 0;
        for (Path p : models) {
            try {
                total += java.nio.file.Files.isDirectory(p) ? 0 : java.nio.file.Files.size(p);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return total;
    }
}
