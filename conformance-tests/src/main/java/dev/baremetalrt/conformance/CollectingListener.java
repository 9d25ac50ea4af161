package dev.baremetalrt.conformance;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.TokenGenerator;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link TokenGenerator.Listener} that records one generation for a test: the tokens, how it ended, how many
 * terminal calls it got and whether tokens came after the end (both protocol errors the G rules check).
 */
public final class CollectingListener implements TokenGenerator.Listener {
    private final List<Integer> tokens = new CopyOnWriteArrayList<>();
    private final CompletableFuture<TokenGenerator.Finish> finish = new CompletableFuture<>();
    private final AtomicInteger terminalCalls = new AtomicInteger();
    private final AtomicInteger tokensAfterEnd = new AtomicInteger();
    private volatile BackendException error;

    @Override
    public void onTokens(int[] t) {
        if (finish.isDone()) {
            tokensAfterEnd.incrementAndGet();
        }
        Arrays.stream(t).forEach(tokens::add);
    }

    @Override
    public void onFinished(TokenGenerator.Finish f) {
        terminalCalls.incrementAndGet();
        finish.complete(f);
    }

    @Override
    public void onFailed(BackendException e) {
        terminalCalls.incrementAndGet();
        error = e;
        finish.completeExceptionally(e);
    }

    /** The tokens so far. */
    public int[] ids() {
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    public int tokenCount() {
        return tokens.size();
    }

    /** How it ended, waiting at most {@code seconds}. @throws java.util.concurrent.ExecutionException when it failed */
    public TokenGenerator.Finish await(int seconds) throws Exception {
        return finish.get(seconds, TimeUnit.SECONDS);
    }

    /** Completes when the generation ends either way. */
    public CompletableFuture<?> ended() {
        return finish.handle((f, e) -> null);
    }

    public int terminalCalls() {
        return terminalCalls.get();
    }

    public int tokensAfterEnd() {
        return tokensAfterEnd.get();
    }

    /** The failure, when it failed. */
    public BackendException error() {
        return error;
    }
}
