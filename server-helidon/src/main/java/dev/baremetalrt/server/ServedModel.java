package dev.baremetalrt.server;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.chat.ChatTemplate;
import dev.baremetalrt.core.chat.ChatTemplates;
import dev.baremetalrt.core.engine.BatchScheduler;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;

/** A model the server answers for: its deployment on local stages, its scheduler and chat template. */
public final class ServedModel implements AutoCloseable {
    private final String id;
    private final Model model;
    private final LocalDeployment deployment;
    private final BatchScheduler scheduler;
    private final ChatTemplate chatTemplate;
    private final long created = System.currentTimeMillis() / 1000;

    private ServedModel(String id, Model model, LocalDeployment deployment, BatchScheduler scheduler, ChatTemplate chatTemplate) {
        this.id = id;
        this.model = model;
        this.deployment = deployment;
        this.scheduler = scheduler;
        this.chatTemplate = chatTemplate;
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
                    LocalDeployment.PREFILL_CHUNK);
            return new ServedModel(model.modelId(), model, deployment, scheduler, ChatTemplates.forModel(model));
        } catch (RuntimeException e) {
            if (deployment != null) {
                deployment.close();
            }
            model.close();
            throw e;
        }
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

    /** Which stage holds which layers, one line per stage. */
    public String planDescription() {
        return deployment.plan().describe();
    }

    /** What the backend holds for this model now: weights, KV caches, scratch. */
    public dev.baremetalrt.spi.MemoryReport memory() {
        return deployment.memory();
    }

    public int contextCapacity() {
        return scheduler.contextCapacity();
    }

    @Override
    public void close() {
        scheduler.close();
        deployment.close();
        model.close();
    }
}
