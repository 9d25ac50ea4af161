package dev.baremetalrt.core.engine;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.tokenizer.Tokenizer;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.TensorPayload;
import dev.baremetalrt.spi.TokenGenerator;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns prompts into streamed text through a {@link Pipeline}: opens a session on every stage, runs the
 * prompt in chunks of {@code prefillChunk} positions, then one position per step, sampling each token,
 * decoding text incrementally and stopping at EOS, a stop string, {@code maxTokens} or the context
 * capacity. The session is released on every stage however the generation ends. Thread-safe: concurrent
 * generations use separate sessions.
 */
public final class InferenceEngine {
    private static final AtomicLong SESSION_IDS = new AtomicLong();

    private final Pipeline pipeline;
    private final Tokenizer tokenizer;
    private final int contextCapacity;
    private final int prefillChunk;
    private final java.util.function.Supplier<TokenGenerator> generators;

    public InferenceEngine(Pipeline pipeline, Tokenizer tokenizer, int contextCapacity, int prefillChunk) {
        this(pipeline, tokenizer, contextCapacity, prefillChunk, (TokenGenerator) null);
    }

    /**
     * An engine whose generations run inside a whole-model backend's own loop ({@code generator}, from
     * {@link dev.baremetalrt.spi.Shard#generator()}) instead of step by step through the pipeline; null for the
     * usual step-by-step engine.
     */
    public InferenceEngine(Pipeline pipeline, Tokenizer tokenizer, int contextCapacity, int prefillChunk, TokenGenerator generator) {
        this(pipeline, tokenizer, contextCapacity, prefillChunk, () -> generator);
    }

    /** As above, asking {@code generators} at each generation (a cluster's plan can move a model into or out of such an engine). */
    public InferenceEngine(Pipeline pipeline, Tokenizer tokenizer, int contextCapacity, int prefillChunk, java.util.function.Supplier<TokenGenerator> generators) {
        this.generators = requireNonNull(generators, "generators is null");
        this.pipeline = requireNonNull(pipeline, "pipeline is null");
        this.tokenizer = requireNonNull(tokenizer, "tokenizer is null");
        if (contextCapacity <= 0 || prefillChunk <= 0) {
            throw new IllegalArgumentException("contextCapacity and prefillChunk must be positive");
        }
        this.contextCapacity = contextCapacity;
        this.prefillChunk = prefillChunk;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public int contextCapacity() {
        return contextCapacity;
    }

    /** The whole-model engine generations run in now, when there is one. */
    public java.util.Optional<TokenGenerator> generator() {
        return java.util.Optional.ofNullable(generators.get());
    }

    /** Where the engine looks for a whole-model engine at each generation (for a scheduler over the same model). */
    public java.util.function.Supplier<TokenGenerator> generators() {
        return generators;
    }

    /**
     * Generates.
     *
     * @throws SessionException when the prompt alone does not fit in the context
     */
    public GenerationResult generate(GenerationRequest request, TokenSink sink) {
        validate(request, pipeline, tokenizer, contextCapacity);
        Generation g = new Generation("gen-" + SESSION_IDS.incrementAndGet(), request, sink, tokenizer, contextCapacity);
        if (g.finished()) {
            return g.result();
        }
        TokenGenerator generator = generators.get();
        if (generator != null) {
            GenerationResult result = GeneratorRun.run(generators, generator, pipeline.plan().modelId(), g, request, sink, contextCapacity);
            if (result != null) {
                return result;
            } // its engine was lost and the model runs on layer stages now: step it there from its history
        }
        pipeline.openSession(g.sessionId);
        try {
            float[] logits = null;
            while (g.prefilling()) {
                int position = g.nextPosition();
                logits = step(g.sessionId, position, g.nextPromptChunk(prefillChunk));
            }
            while (!g.accept(logits)) {
                if (sink.isCancelled()) {
                    g.finish(FinishReason.CANCELLED);
                    break;
                }
                logits = step(g.sessionId, g.nextPosition(), new int[] {g.lastToken()});
            }
        } finally {
            pipeline.release(g.sessionId);
        }
        return g.result();
    }

    /** Checks a request before any work: the prompt fits the context and its ids are in the vocabulary. */
    static void validate(GenerationRequest request, Pipeline pipeline, Tokenizer tokenizer, int contextCapacity) {
        int[] prompt = request.promptTokens();
        if (prompt.length > contextCapacity) {
            throw new SessionException("model %s: the prompt has %d tokens, the context holds %d"
                    .formatted(pipeline.plan().modelId(), prompt.length, contextCapacity));
        }
        for (int t : prompt) {
            if (t < 0 || t >= tokenizer.vocabSize()) {
                throw new SessionException("model %s: token id %d is outside the vocabulary of %d".formatted(pipeline.plan().modelId(), t, tokenizer.vocabSize()));
            }
        }
    }

    private float[] step(String sessionId, int position, int[] tokens) {
        TensorPayload logits = pipeline.forward(StepBatch.of(SessionStep.ofTokens(sessionId, position, tokens, SessionStep.Logits.LAST)))
                .output(sessionId);
        return logits.toFloatArray();
    }
}
