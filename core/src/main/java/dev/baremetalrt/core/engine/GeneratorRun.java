package dev.baremetalrt.core.engine;

import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.EngineLostException;
import dev.baremetalrt.spi.TransportException;
import dev.baremetalrt.spi.GenerationSpec;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.TokenGenerator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Drives one {@link Generation} through a whole-model engine's {@link TokenGenerator}: the engine samples and
 * streams token ids; this side decodes text, applies stop strings and every end-of-generation id, and cancels
 * the engine's request when it ends here first (a stop string, the caller's cancel); when the engine is lost
 * mid-generation it continues on the model's next engine, or hands the generation back to be stepped on layer
 * stages. Runs on the caller's thread.
 */
final class GeneratorRun {
    private static final long POLL_MS = 50;
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(GeneratorRun.class.getName());
    /** How long a generation waits for the model's next engine or stages after losing its engine. */
    private static final java.time.Duration RECOVERY = java.time.Duration.ofSeconds(60);

    private GeneratorRun() {}

    /**
     * Runs {@code g} in {@code generator}; when that engine is lost mid-generation ({@link EngineLostException}, or
     * it cannot be reached), asks {@code generators} for the model's next engine and continues there from the
     * tokens so far. Returns the result, or null when the model now runs on layer stages: {@code g} is then set
     * to resume there ({@link Generation#resumeOnStages}) and the caller steps it.
     */
    static GenerationResult run(Supplier<TokenGenerator> generators, TokenGenerator generator, String modelId, Generation g, GenerationRequest request,
                                TokenSink sink, int contextCapacity) {
        if (request.logprobs() >= 0) {
            throw new SessionException("model %s runs in a whole-model engine that does not return log-probabilities".formatted(modelId));
        }
        boolean first = true;
        long deadline = 0;
        while (true) {
            try {
                int[] prompt = first ? request.promptTokens() : g.historySoFar();
                int maxTokens = first ? Math.max(1, Math.min(request.maxTokens(), contextCapacity - prompt.length)) : g.remainingTokens();
                if (maxTokens <= 0) {
                    g.finish(FinishReason.LENGTH);
                    return g.result();
                }
                return runOnce(generator, g, prompt, maxTokens, request.sampling(), sink);
            } catch (EngineLostException | TransportException lost) {
                if (g.finished()) {
                    return g.result();
                }
                first = false;
                deadline = deadline == 0 ? System.nanoTime() + RECOVERY.toNanos() : deadline;
                LOG.warning(() -> "model %s, generation %s: %s; continuing from its %d tokens on the model's next engine or stages"
                        .formatted(modelId, g.sessionId, lost.getMessage(), g.historySoFar().length));
                TokenGenerator next = awaitAnother(generators, generator, deadline, lost);
                if (next == null) {
                    g.resumeOnStages();
                    return null;
                }
                generator = next;
            }
        }
    }

    /** The model's engine once it is another than {@code lost} (null: it runs on layer stages now). */
    private static TokenGenerator awaitAnother(Supplier<TokenGenerator> generators, TokenGenerator lost, long deadline, RuntimeException why) {
        while (System.nanoTime() < deadline) {
            TokenGenerator next = generators.get();
            if (next != lost) {
                return next;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw why;
            }
        }
        throw why;
    }

    private static GenerationResult runOnce(TokenGenerator generator, Generation g, int[] prompt, int maxTokens, SamplingParams s, TokenSink sink) {
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
                } else if (event instanceof EngineLostException lost) {
                    throw lost; // the caller continues elsewhere
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
