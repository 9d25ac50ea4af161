package dev.baremetalrt.server;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.chat.ChatTemplate;
import dev.baremetalrt.core.chat.ChatTemplates;
import dev.baremetalrt.core.engine.BatchScheduler;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.spi.MemoryReport;
import java.util.function.Supplier;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;

/**
 * A model the server answers for: where its stages run (local stages of a backend, or a cluster), its
 * scheduler and chat template.
 */
public final class ServedModel implements AutoCloseable {
    private final String id;
    private final Model model;
    private final Pipeline pipeline;
    private final AutoCloseable stages;
    private final Supplier<MemoryReport> memory;
    private final BatchScheduler scheduler;
    private final ChatTemplate chatTemplate;
    private final long created = System.currentTimeMillis() / 1000;

    private final Supplier<java.util.Map<String, Double>> engineStats;

    private ServedModel(Model model, Pipeline pipeline, AutoCloseable stages, Supplier<MemoryReport> memory, BatchScheduler scheduler) {
        this(model, pipeline, stages, memory, scheduler, java.util.Map::of);
    }

    private ServedModel(Model model, Pipeline pipeline, AutoCloseable stages, Supplier<MemoryReport> memory, BatchScheduler scheduler,
                        Supplier<java.util.Map<String, Double>> engineStats) {
        this.engineStats = engineStats;
        this.id = model.modelId();
        this.model = model;
        this.pipeline = pipeline;
        this.stages = stages;
        this.memory = memory;
        this.scheduler = scheduler;
        this.chatTemplate = ChatTemplates.forModel(model);
    }

    /**
     * Serves {@code model} through a pipeline whose stages run elsewhere (a cluster). Takes ownership of
     * {@code model}; {@code stages} is closed with this (it may be null).
     */
    public static ServedModel onPipeline(Model model, Pipeline pipeline, int contextCapacity, int maxRunning, int maxQueued, AutoCloseable stages) {
        return onPipeline(model, pipeline, () -> null, contextCapacity, maxRunning, maxQueued, stages);
    }

    /**
     * As above; {@code generators} says, at each request, whether the model runs whole in an engine elsewhere
     * (a cluster's TensorRT-LLM node) that takes the request instead of the pipeline (null when not).
     */
    public static ServedModel onPipeline(Model model, Pipeline pipeline, java.util.function.Supplier<dev.baremetalrt.spi.TokenGenerator> generators,
                                         int contextCapacity, int maxRunning, int maxQueued, AutoCloseable stages) {
        requireNonNull(model, "model is null");
        int capacity = Math.min(contextCapacity, model.config().contextLength());
        BatchScheduler scheduler = new BatchScheduler(pipeline, model.tokenizer(), capacity, maxRunning, maxQueued, LocalDeployment.PREFILL_CHUNK, generators);
        return new ServedModel(model, pipeline, stages, () -> MemoryReport.EMPTY, scheduler);
    }

    /**
     * Loads the model onto {@code stages} local stages of {@code provider}'s backend and starts its scheduler.
     * Takes ownership of {@code model}: closing this closes it.
     */
    public static ServedModel load(Model model, BackendProvider provider, BackendOptions options, int stages, int contextCapacity,
                                   int maxRunning, int maxQueued) {
        requireNonNull(model, "model is null");
        LocalDeployment deployment = null;
        try {
            deployment = LocalDeployment.load(model, provider, options, stages, contextCapacity);
            int capacity = deployment.engine().contextCapacity();
            BatchScheduler scheduler = new BatchScheduler(deployment.engine().pipeline(), model.tokenizer(), capacity, maxRunning, maxQueued,
                    LocalDeployment.PREFILL_CHUNK, deployment.engine().generators());
            LocalDeployment local = deployment;
            Supplier<java.util.Map<String, Double>> stats = () -> local.engine().generator().map(g -> g.stats()).orElse(java.util.Map.of());
            return new ServedModel(model, deployment.engine().pipeline(), deployment, local::memory, scheduler, stats);
        } catch (RuntimeException e) {
            if (deployment != null) {
                deployment.close();
            }
            model.close();
            throw e;
        }
    }

    /** Why this model cannot serve now (a cluster without enough nodes for it), or empty. */
    public java.util.Optional<String> unavailable() {
        return pipeline.unavailable();
    }

    public String id() {
        return id;
    }

    public Model model() {
        return model;
    }

    public BatchScheduler scheduler() {
        return scheduler;
    }

    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    public long created() {
        return created;
    }

    /** Which stage holds which layers, one line per stage (the current plan epoch on a cluster). */
    public String planDescription() {
        return pipeline.plan().describe();
    }

    /** What this process holds for this model now: weights, KV caches, scratch (empty when the stages run on a cluster). */
    /** A whole-model engine's own counters (TensorRT-LLM's iteration statistics), empty for step-by-step backends. */
    public java.util.Map<String, Double> engineStats() {
        try {
            return engineStats.get();
        } catch (RuntimeException e) {
            return java.util.Map.of();
        }
    }

    public MemoryReport memory() {
        return memory.get();
    }

    public int contextCapacity() {
        return scheduler.contextCapacity();
    }

    @Override
    public void close() {
        scheduler.close();
        if (stages != null) {
            try {
                stages.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the stages of model " + id, e);
            }
        }
        model.close();
    }
}
