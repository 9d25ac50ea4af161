package dev.baremetalrt.core.engine;

import dev.baremetalrt.core.sampling.Sampler;
import dev.baremetalrt.core.sampling.StopMatcher;
import dev.baremetalrt.core.tokenizer.StreamingDecoder;
import dev.baremetalrt.core.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * The state of one generation between pipeline steps: token history, how much of the prompt has been run,
 * the sampler, incremental text decoding and stop strings. Both {@link InferenceEngine} (one generation
 * on the caller's thread) and {@link BatchScheduler} (many, batched per step) drive it. Not thread-safe.
 */
final class Generation {
    final String sessionId;
    final TokenSink sink;
    private final GenerationRequest request;
    private final Tokenizer tokenizer;
    private final int contextCapacity;
    private final int promptLength;
    private final int[] history;
    private final Sampler sampler;
    private final StopMatcher stops;
    private final StreamingDecoder decoder;
    private final StringBuilder text = new StringBuilder();
    private int length;
    private int prefilled;
    /** Positions of the history to run before sampling: the prompt, or all of it when resumed on layer stages. */
    private int prefillEnd;
    private int generated;
    private FinishReason reason;
    private final long start = System.nanoTime();
    private long firstToken;
    private long end;

    Generation(String sessionId, GenerationRequest request, TokenSink sink, Tokenizer tokenizer, int contextCapacity) {
        this.sessionId = sessionId;
        this.request = request;
        this.sink = sink;
        this.tokenizer = tokenizer;
        this.contextCapacity = contextCapacity;
        int[] prompt = request.promptTokens();
        this.promptLength = prompt.length;
        this.history = Arrays.copyOf(prompt, Math.min(contextCapacity, prompt.length + request.maxTokens()) + 1);
        this.length = prompt.length;
        this.prefillEnd = prompt.length;
        this.sampler = new Sampler(request.sampling());
        this.stops = new StopMatcher(request.sampling().stop());
        this.decoder = tokenizer.newDecoder();
        for (int t : prompt) {
            decoder.accept(t); // so that spacing and held-back bytes continue correctly into the generated text
        }
        if (request.maxTokens() == 0) {
            finish(FinishReason.LENGTH);
        }
    }

    boolean prefilling() {
        return prefilled < prefillEnd;
    }

    /** The next at most {@code max} prompt tokens to run, starting at {@link #nextPosition}. */
    int[] nextPromptChunk(int max) {
        int[] chunk = Arrays.copyOfRange(history, prefilled, Math.min(prefillEnd, prefilled + max));
        prefilled += chunk.length;
        return chunk;
    }

    /** Position of the next step's first token. */
    int nextPosition() {
        return prefilling() ? prefilled : length - 1;
    }

    /** The token a decode step feeds: the last one sampled. */
    int lastToken() {
        return history[length - 1];
    }

    /**
     * Takes the logits of the last position run (after the whole prompt, or after a decode step), samples
     * the next token, emits it and its text. Returns true when the generation is finished. {@code logits} is the
     * caller's and is changed (penalties); nothing keeps it after the call.
     */
    boolean accept(float[] logits) {
        float[] raw = request.logprobs() >= 0 ? logits.clone() : null;
        int next = sampler.sample(logits, history, length, promptLength);
        if (raw != null) {
            sink.onLogprobs(TokenLogprobs.of(raw, next, request.logprobs()));
        }
        return acceptToken(next);
    }

    /**
     * Takes a token chosen elsewhere (by a whole-model engine that samples itself): emits it and its text.
     * Returns true when the generation is finished.
     */
    boolean acceptToken(int next) {
        history[length++] = next;
        generated++;
        if (firstToken == 0) {
            firstToken = System.nanoTime();
        }
        sink.onToken(next);
        if (tokenizer.isEndOfGeneration(next)) {
            return finish(FinishReason.STOP);
        }
        String piece = stops.accept(decoder.accept(next));
        if (!piece.isEmpty()) {
            text.append(piece);
            sink.onText(piece);
        }
        if (stops.stopped()) {
            return finish(FinishReason.STOP);
        }
        if (generated >= request.maxTokens() || length >= contextCapacity) {
            return finish(FinishReason.LENGTH);
        }
        return false;
    }

    /** Ends the generation (idempotent): flushes held-back text unless a stop string matched. */
    boolean finish(FinishReason why) {
        if (reason != null) {
            return true;
        }
        reason = why;
        end = System.nanoTime();
        if (!stops.stopped() && why != FinishReason.CANCELLED) {
            String rest = stops.accept(decoder.flush()) + stops.flush();
            if (!rest.isEmpty()) {
                text.append(rest);
                sink.onText(rest);
            }
        }
        return true;
    }

    boolean finished() {
        return reason != null;
    }

    GenerationRequest request() {
        return request;
    }

    /**
     * Continues on layer stages a generation an engine started: the whole history so far (prompt and generated
     * tokens) is run as the prompt of a fresh session, then sampling goes on where the engine stopped.
     */
    void resumeOnStages() {
        prefilled = 0;
        prefillEnd = length;
    }

    /** Whether {@link #resumeOnStages} moved this generation to layer stages. */
    boolean resumedOnStages() {
        return prefillEnd != promptLength;
    }

    /** The history so far (prompt and generated tokens): what another engine continues from. */
    int[] historySoFar() {
        return Arrays.copyOf(history, length);
    }

    /** Tokens still allowed: {@code maxTokens} less those generated, and what the context has room for. */
    int remainingTokens() {
        return Math.min(request.maxTokens() - generated, contextCapacity - length);
    }

    /** The tokenizer's end-of-sequence id (what a whole-model engine is told to stop at). */
    int eosId() {
        return tokenizer.eosId();
    }

    int generatedCount() {
        return generated;
    }

    GenerationResult result() {
        long stop = end == 0 ? System.nanoTime() : end;
        long prefill = (firstToken == 0 ? stop : firstToken) - start;
        return new GenerationResult(Arrays.copyOf(history, length), promptLength, text.toString(),
                reason == null ? FinishReason.LENGTH : reason, prefill, firstToken == 0 ? 0 : stop - firstToken);
    }
}
