package dev.baremetalrt.core.engine;

import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.GenerationSpec;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.TokenGenerator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Drives one {@link Generation} through a whole-model engine's {@link TokenGenerator}: the engine samples and
 * streams token ids; this side decodes text, applies stop strings and every end-of-generation id, and cancels
 * the engine's request when it ends here first (a stop string, the caller's cancel). Runs on the caller's thread.
 */
final class GeneratorRun {
    private static final long POLL_MS = 50;

    private GeneratorRun() {}

    static GenerationResult run(TokenGenerator generator, String modelId, Generation g, GenerationRequest request, TokenSink sink, int contextCapacity) {
        if (request.logprobs() >= 0) {
            throw new SessionException("model %s runs in a whole-model engine that does not return log-probabilities".formatted(modelId));
        }
        SamplingParams s = request.sampling();
        int[] prompt = request.promptTokens();
        int maxTokens = Math.max(1, Math.min(request.maxTokens(), contextCapacity - prompt.length));
        GenerationSpec spec = new GenerationSpec(g.sessionId, prompt, maxTokens, s.temperature(), s.topK(), s.topP(), s.minP(), s.repetitionPenalty(),
                s.presencePenalty(), s.frequencyPenalty(), s.seed(), new int[] {g.eosId()}, List.of());
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        TokenGenerator.Generation running = generator.start(spec, new TokenGenerator.Listener() {
            @Override
            public void onTokens(int[] tokens) {
                events.add(tokens);
            }

            @Override
            public void onFinished(TokenGenerator.Finish finish) {
                events.add(finish);
            }

            @Override
            public void onFailed(BackendException error) {
                events.add(error);
            }
        });
        try {
            while (!g.finished()) {
                if (sink.isCancelled()) {
                    running.cancel();
                    g.finish(FinishReason.CANCELLED);
                    break;
                }
                Object event = events.poll(POLL_MS, TimeUnit.MILLISECONDS);
                if (event instanceof int[] tokens) {
                    for (int t : tokens) {
                        if (g.acceptToken(t)) {
                            running.cancel(); // ended here (end id, stop string, length): the engine may still be running
                            break;
                        }
                    }
                } else if (event instanceof TokenGenerator.Finish finish) {
                    if (finish == TokenGenerator.Finish.END_TOKEN) {
                        g.acceptToken(g.eosId()); // the engine does not return its end id; the history records it, as step by step
                    }
                    g.finish(switch (finish) {
                        case END_TOKEN, STOP_SEQUENCE -> FinishReason.STOP;
                        case LENGTH, TIMED_OUT -> FinishReason.LENGTH;
                        case CANCELLED -> FinishReason.CANCELLED;
                    });
                } else if (event instanceof BackendException error) {
                    g.finish(FinishReason.CANCELLED);
                    throw error;
                }
            }
        } catch (InterruptedException e) {
            running.cancel();
            Thread.currentThread().interrupt();
            g.finish(FinishReason.CANCELLED);
        }
        return g.result();
    }
}
