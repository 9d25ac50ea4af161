package dev.baremetalrt.spi;

import java.util.Map;

/**
 * A whole-model engine that generates tokens itself (TensorRT-LLM's Executor): token ids in, streamed token
 * ids out, batching inside the engine. A {@link Shard} of such a backend offers it through
 * {@link Shard#generator()}; such a shard holds the whole model and usually refuses {@link Shard#forward}.
 * Thread-safe.
 */
public interface TokenGenerator {
    /**
     * Starts a generation. Tokens reach {@code listener} on the engine's thread, in order; exactly one of
     * {@link Listener#onFinished} or {@link Listener#onFailed} ends it.
     *
     * @throws BackendException when the engine refuses the request (closed, queue full, bad input), naming it
     */
    Generation start(GenerationSpec spec, Listener listener);

    /** The engine's latest counters (iterations, active and queued requests, ...), for metrics; names are stable. */
    default Map<String, Double> stats() {
        return Map.of();
    }

    /** A running generation. */
    interface Generation {
        /** Asks the engine to stop; the listener then gets {@link Finish#CANCELLED} (or the finish that came first). */
        void cancel();
    }

    /** Why a generation ended. */
    enum Finish {
        /** One of the end token ids was generated (not returned). */
        END_TOKEN,
        /** A stop sequence was generated (returned). */
        STOP_SEQUENCE,
        /** {@code maxTokens} tokens were generated. */
        LENGTH,
        /** Cancelled by the caller, or the engine was closed. */
        CANCELLED,
        /** The engine's own time limit ran out. */
        TIMED_OUT
    }

    /** Receives one generation. */
    interface Listener {
        /** New tokens, in order. */
        void onTokens(int[] tokens);

        void onFinished(Finish finish);

        /** The engine failed this request; the exception names the request and says why. */
        void onFailed(BackendException error);
    }
}
