package dev.baremetalrt.server;

import dev.baremetalrt.core.engine.TokenLogprobs;
import dev.baremetalrt.core.engine.TokenSink;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Hands a generation's text and log-probabilities from the thread that delivers them (the scheduler's delivery
 * thread, or a whole-model engine's) to the request's own thread through a queue, so neither waits on a client's
 * socket. The request thread cancels it when the client goes away.
 */
final class GenerationStream implements TokenSink {
    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private volatile boolean cancelled;

    @Override
    public void onText(String text) {
        events.add(text);
    }

    @Override
    public void onLogprobs(TokenLogprobs logprobs) {
        events.add(logprobs);
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    void cancel() {
        cancelled = true;
    }

    /** The next event (a String of text or a {@link TokenLogprobs}), or null after {@code millis}. */
    Object poll(long millis) throws InterruptedException {
        return events.poll(millis, TimeUnit.MILLISECONDS);
    }

    Object pollNow() {
        return events.poll();
    }
}
