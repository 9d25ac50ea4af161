package dev.baremetalrt.cli;

import dev.baremetalrt.core.engine.CapacityShardPlanner;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.spi.NodeCapacity;
import dev.baremetalrt.spi.PlanRequest;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code brt plan}: the plan a cluster of given node sizes would make for a model, without starting anything. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Dry run of the cluster's planner: which layers each node would hold and the memory that takes, for a model file",
                "or a named shape (e.g. --shape llama-70b --type Q4_0) over nodes of the given sizes. Exit 1 when the model does not fit."})
final class PlanCommand implements Callable<Integer> {
    @Option(names = "--model", description = "A model file or Hugging Face directory (its sizes are read, nothing is loaded).")
    Path model;

    @Option(names = "--shape", description = "A named shape instead of --model: tiny, small, tinyllama-1.1b, llama-70b.")
    String shape;

    @Option(names = "--type", description = "Weight type of --shape (default: ${DEFAULT-VALUE}).", defaultValue = "Q4_0")
    String type;

    @Option(names = "--layers", description = "Layer count of --shape (default: the shape's).")
    Integer layers;

    @Option(names = "--nodes", required = true, split = ",", description = "Memory each node offers, e.g. 24GB,24GB,12GB.")
    List<String> nodes;

    @Option(names = "--speeds", split = ",", description = "Relative speed of each node (default: all 1).")
    List<Double> speeds = List.of();

    @Option(names = "--reserve", description = "Percent of each node's memory kept for KV caches and work buffers (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    int reservePercent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** What the planner needs to know about a model. */
    record Sizes(String name, int layerCount, long layerBytes, long embeddingBytes, long headBytes) {}

    @Override
    public Integer call() {
        if ((model == null) == (shape == null)) {
            throw new IllegalArgumentException("give --model PATH or --shape NAME (with --type), not both");
        }
        if (!speeds.isEmpty() && speeds.size() != nodes.size()) {
            throw new IllegalArgumentException("--speeds has %d values for %d --nodes".formatted(speeds.size(), nodes.size()));
        }
        Sizes sizes = model != null ? sizesOf(model) : sizesOf(ModelShape.named(shape), WeightType.parse(type), layers);
        if (reservePercent < 0 || reservePercent >= 100) {
            throw new IllegalArgumentException("--reserve must be a percentage in [0, 100), got " + reservePercent);
        }
        List<NodeCapacity> capacities = new ArrayList<>();
        List<Long> offered = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            long memory = SynthCommand.parseSize("--nodes", nodes.get(i));
            offered.add(memory);
            capacities.add(new NodeCapacity("node-" + (i + 1), "cpu", memory / 100 * (100 - reservePercent), speeds.isEmpty() ? 1.0 : speeds.get(i)));
        }
        ShardPlan plan = new CapacityShardPlanner().plan(new PlanRequest(sizes.name(), 1, sizes.layerCount(), sizes.layerBytes(),
                sizes.embeddingBytes(), sizes.headBytes(), capacities));
        var out = spec.commandLine().getOut();
        out.printf("%s: %d layers of %s, embedding %s, head %s, over %d node(s), %d%% of each kept for KV caches and work buffers%n",
                sizes.name(), sizes.layerCount(), gib(sizes.layerBytes()), gib(sizes.embeddingBytes()), gib(sizes.headBytes()), nodes.size(), reservePercent);
        for (ShardPlan.Stage stage : plan.stages()) {
            long memory = offered.get(Integer.parseInt(stage.node().substring("node-".length())) - 1);
            long used = stage.layers().size() * sizes.layerBytes() + (stage.embedding() ? sizes.embeddingBytes() : 0) + (stage.head() ? sizes.headBytes() : 0);
            out.printf("  stage %d  %-7s %9s  %-16s %-17s weights %9s, leaves %9s%n", stage.index(), stage.node(), gib(memory),
                    stage.layers(), (stage.embedding() ? "+embedding " : "") + (stage.head() ? "+head" : ""), gib(used), gib(memory - used));
        }
        int unused = nodes.size() - plan.stages().size();
        if (unused > 0) {
            out.printf("  %d node(s) get no layers%n", unused);
        }

        out.flush();
        return 0;
    }

    static Sizes sizesOf(Path file) {
        try (Model m = ModelOptions.open(file)) {
            long layerBytes = 0;
            for (int l = 0; l < m.config().layerCount(); l++) {
                layerBytes = Math.max(layerBytes, m.layerWeightBytes(l));
            }
            // the first stage holds the embedding table: as large as an untied head
            return new Sizes(m.modelId(), m.config().layerCount(), layerBytes, m.headWeightBytes(), m.headWeightBytes());
        }
    }

    static Sizes sizesOf(ModelShape shape, WeightType type, Integer layerCount) {
        long dim = shape.dim();
        long kvDim = dim / shape.heads() * shape.kvHeads();
        long matrices = 2 * dim * dim + 2 * dim * kvDim + 3 * dim * shape.ffnDim();
        long layerBytes = type.byteSize(matrices) + 2 * dim * Float.BYTES;
        long table = type.byteSize(dim * shape.vocabSize());
        return new Sizes("%s %s".formatted(shape.name(), type), layerCount != null ? layerCount : shape.layers(), layerBytes, table, table + dim * Float.BYTES);
    }

    private static String gib(long bytes) {
        return "%.2f GiB".formatted(bytes / (double) (1L << 30));
    }
}
