package dev.baremetalrt.core.engine;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.sampling.Sampler;
import dev.baremetalrt.core.sampling.StopMatcher;
import dev.baremetalrt.core.tokenizer.StreamingDecoder;
import dev.baremetalrt.core.tokenizer.Tokenizer;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.TensorPayload;
import java.util.Arrays;
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

    public InferenceEngine(Pipeline pipeline, Tokenizer tokenizer, int contextCapacity, int prefillChunk) {
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

    /**
     * Generates.
     *
     * @throws SessionException when the prompt alone does not fit in the context
     */
    public GenerationResult generate(GenerationRequest request, TokenSink sink) {
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
        String sessionId = "gen-" + SESSION_IDS.incrementAndGet();
        int[] history = Arrays.copyOf(prompt, Math.min(contextCapacity, prompt.length + request.maxTokens()) + 1);
        int length = prompt.length;
        Sampler sampler = new Sampler(request.sampling());
        StopMatcher stops = new StopMatcher(request.sampling().stop());
        StreamingDecoder decoder = tokenizer.newDecoder();
        for (int t : prompt) {
            decoder.accept(t); // so that spacing and held-back bytes continue correctly into the generated text
        }
        StringBuilder text = new StringBuilder();
        FinishReason reason = FinishReason.LENGTH;
        long start = System.nanoTime();
        long firstToken = 0;
        pipeline.openSession(sessionId);
        try {
            float[] logits = null;
            for (int from = 0; from < prompt.length; from += prefillChunk) {
                int[] chunk = Arrays.copyOfRange(prompt, from, Math.min(prompt.length, from + prefillChunk));
                logits = step(sessionId, from, chunk);
            }
            for (int generated = 0; generated < request.maxTokens() && length < contextCapacity; generated++) {
                if (sink.isCancelled()) {
                    reason = FinishReason.CANCELLED;
                    break;
                }
                int next = sampler.sample(logits, history, length, prompt.length);
                history[length++] = next;
                if (firstToken == 0) {
                    firstToken = System.nanoTime();
                }
                sink.onToken(next);
                if (tokenizer.isEndOfGeneration(next)) {
                    reason = FinishReason.STOP;
                    break;
                }
                String piece = stops.accept(decoder.accept(next));
                if (!piece.isEmpty()) {
                    text.append(piece);
                    sink.onText(piece);
                }
                if (stops.stopped()) {
                    reason = FinishReason.STOP;
                    break;
                }
                if (generated + 1 < request.maxTokens() && length < contextCapacity) {
                    logits = step(sessionId, length - 1, new int[] {next});
                }
            }
            if (!stops.stopped()) {
                String rest = stops.accept(decoder.flush()) + stops.flush();
                if (!rest.isEmpty()) {
                    text.append(rest);
                    sink.onText(rest);
                }
            }
        } finally {
            pipeline.release(sessionId);
        }
        long end = System.nanoTime();
        long prefill = (firstToken == 0 ? end : firstToken) - start;
        return new GenerationResult(Arrays.copyOf(history, length), prompt.length, text.toString(), reason, prefill, firstToken == 0 ? 0 : end - firstToken);
    }

    private float[] step(String sessionId, int position, int[] tokens) {
        TensorPayload logits = pipeline.forward(StepBatch.of(SessionStep.ofTokens(sessionId, position, tokens, SessionStep.Logits.LAST)))
                .output(sessionId);
        return logits.toFloatArray();
    }
}
