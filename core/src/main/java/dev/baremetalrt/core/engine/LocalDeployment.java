package dev.baremetalrt.core.engine;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.NodeCapacity;
import dev.baremetalrt.spi.PlanException;
import dev.baremetalrt.spi.PlanRequest;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.ShardSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A model split into {@code stages} in-process stages ({@code local-0}, {@code local-1}, …) on one
 * backend, wired through an {@link InProcessTransport}. What {@code brt generate --stages K} runs, and
 * the simplest way to embed BareMetalRT. Closing it closes the shards and the backend, not the model.
 */
public final class LocalDeployment implements AutoCloseable {
    /** Generous: an in-process call only times out if a backend hangs. */
    public static final Duration STEP_TIMEOUT = Duration.ofMinutes(10);
    public static final int PREFILL_CHUNK = 512;

    private final List<Backend> backends;
    private final List<Shard> shards;
    private final ShardPlan plan;
    private final InferenceEngine engine;

    private LocalDeployment(List<Backend> backends, List<Shard> shards, ShardPlan plan, InferenceEngine engine) {
        this.backends = backends;
        this.shards = shards;
        this.plan = plan;
        this.engine = engine;
    }

    /**
     * Opens the backend and loads the model's layers split evenly over {@code stages} stages.
     *
     * @param contextCapacity most positions per session (at most the model's context length)
     */
    public static LocalDeployment load(Model model, BackendProvider provider, BackendOptions options, int stages, int contextCapacity) {
        return load(model, List.of(provider), options, stages, contextCapacity);
    }

    /**
     * A mixed plan: the stages are shared out over {@code providers} in order, in contiguous groups
     * (cpu,cuda over 2 stages: stage 0 on cpu, stage 1 on cuda; over 4 stages: two each).
     *
     * @throws PlanException when there are fewer stages than providers
     */
    public static LocalDeployment load(Model model, List<BackendProvider> providers, BackendOptions options, int stages, int contextCapacity) {
        requireNonNull(model, "model is null");
        if (providers.isEmpty()) {
            throw new PlanException("no backend given for model " + model.modelId());
        }
        int layers = model.config().layerCount();
        if (stages < 1 || stages > layers) {
            throw new PlanException("model %s has %d layers: --stages must be between 1 and %d, got %d".formatted(model.modelId(), layers, layers, stages));
        }
        if (stages < providers.size()) {
            throw new PlanException("model %s: %d backends (%s) need at least as many stages, got %d"
                    .formatted(model.modelId(), providers.size(), providers.stream().map(BackendProvider::id).toList(), stages));
        }
        List<NodeCapacity> nodes = new ArrayList<>();
        for (int i = 0; i < stages; i++) {
            nodes.add(new NodeCapacity("local-" + i, providers.get(providerOf(i, stages, providers.size())).id(), Long.MAX_VALUE / 4, 1.0));
        }
        ShardPlan plan = new CapacityShardPlanner().plan(new PlanRequest(model.modelId(), 0, layers, 0, 0, 0, nodes));
        int capacity = Math.min(contextCapacity, model.config().contextLength());
        List<Backend> backends = new ArrayList<>();
        List<Shard> shards = new ArrayList<>();
        try {
            for (BackendProvider provider : providers) {
                backends.add(provider.open(options));
            }
            InProcessTransport transport = new InProcessTransport();
            for (ShardPlan.Stage stage : plan.stages()) {
                Backend backend = backends.get(providerOf(stage.index(), stages, providers.size()));
                Shard shard = backend.load(new ShardSpec(model, stage.layers(), stage.embedding(), stage.head(), capacity));
                shards.add(shard);
                transport.bind(stage, shard);
            }
            // A whole-model engine that generates by itself (TensorRT-LLM) runs generations in its own loop.
            dev.baremetalrt.spi.TokenGenerator generator = shards.size() == 1 ? shards.getFirst().generator().orElse(null) : null;
            InferenceEngine engine = new InferenceEngine(new Pipeline(plan, transport, STEP_TIMEOUT), model.tokenizer(), capacity, PREFILL_CHUNK, generator);
            return new LocalDeployment(List.copyOf(backends), List.copyOf(shards), plan, engine);
        } catch (RuntimeException e) {
            shards.forEach(Shard::close);
            backends.forEach(Backend::close);
            throw e;
        }
    }

    /** Which of {@code providers} runs stage {@code stage}: contiguous groups, in order. */
    static int providerOf(int stage, int stages, int providers) {
        return stage * providers / stages;
    }

    public ShardPlan plan() {
        return plan;
    }

    public InferenceEngine engine() {
        return engine;
    }

    /** The first (usually only) backend. */
    public Backend backend() {
        return backends.getFirst();
    }

    /** Every backend, in the order of the stages they run. */
    public List<Backend> backends() {
        return backends;
    }

    /** Memory over all backends. */
    public dev.baremetalrt.spi.MemoryReport memory() {
        dev.baremetalrt.spi.MemoryReport total = dev.baremetalrt.spi.MemoryReport.EMPTY;
        for (Backend b : backends) {
            total = total.plus(b.memory());
        }
        return total;
    }

    @Override
    public void close() {
        shards.forEach(Shard::close);
        backends.forEach(Backend::close);
    }
}
