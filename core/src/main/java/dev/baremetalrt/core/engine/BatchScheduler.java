package dev.baremetalrt.core.engine;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.tokenizer.Tokenizer;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.TensorPayload;
import dev.baremetalrt.spi.TokenGenerator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Continuous batching over one {@link Pipeline}: every running generation advances in the same pipeline
 * step, one decode token each, and prompts are run in chunks taken from a per-step budget, so a long
 * prompt delays running streams by one chunk per step rather than by its whole length. Admission is
 * bounded: at most {@code maxRunning} sessions hold KV caches, at most {@code maxQueued} wait; beyond
 * that {@link #submit} refuses with {@link OverloadedException}. A cancelled generation (its sink says so
 * or its handle is cancelled) is dropped at the next step and its sessions released.
 *
 * <p>One scheduler thread runs the steps. Sinks are called on a delivery thread, with each step's events in one
 * hand-over after the step, and a generation's result completes after its last event reached its sink; a slow sink
 * delays the others' events, not the steps.
 *
 * <p>Over a whole-model engine that generates by itself ({@link TokenGenerator}, e.g. TensorRT-LLM) there are no
 * steps to batch: the engine batches in flight. An admitted generation then runs on its own virtual thread
 * ({@link GeneratorRun}), counted against the same {@code maxRunning}; its sink is called on that thread.
 */
public final class BatchScheduler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BatchScheduler.class.getName());
    private static final AtomicLong SESSION_IDS = new AtomicLong();

    /** One submitted generation. */
    public static final class Handle {
        private final Generation generation;
        private final StepSink sink;
        private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        private volatile boolean cancelled;

        private Handle(Generation generation, StepSink sink) {
            this.generation = generation;
            this.sink = sink;
        }

        /** Completes with the result (also when cancelled: finish reason CANCELLED), or exceptionally when a step failed. */
        public CompletableFuture<GenerationResult> result() {
            return result;
        }

        /** Asks the scheduler to stop this generation at its next step and free its sessions. */
        public void cancel() {
            cancelled = true;
        }

        boolean cancelRequested() {
            return cancelled || sink.isCancelled();
        }
    }

    /**
     * A generation's sink as the scheduler sees it: events raised by a step go through {@link StepDelivery}, and a sink
     * that throws there ends its own generation with that failure at the next step. Raised on a whole-model engine's
     * thread, they reach the sink at once and its failure propagates there.
     */
    private final class StepSink implements TokenSink {
        private final TokenSink target;
        private volatile RuntimeException failure;

        StepSink(TokenSink target) {
            this.target = target;
        }

        @Override
        public void onText(String text) {
            deliver(() -> target.onText(text));
        }

        @Override
        public void onToken(int token) {
            deliver(() -> target.onToken(token));
        }

        @Override
        public void onLogprobs(TokenLogprobs logprobs) {
            deliver(() -> target.onLogprobs(logprobs));
        }

        @Override
        public boolean isCancelled() {
            return failure != null || target.isCancelled();
        }

        private void deliver(Runnable event) {
            boolean deferred = delivery.defer(() -> {
                if (failure == null) {
                    try {
                        event.run();
                    } catch (RuntimeException e) {
                        failure = e;
                    }
                }
            });
            if (!deferred) {
                event.run();
            }
        }
    }

    private final Pipeline pipeline;
    private final Tokenizer tokenizer;
    private final int contextCapacity;
    private final int maxRunning;
    private final int maxQueued;
    private final int prefillBudget;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Handle> queue = new ArrayDeque<>();
    private final List<Handle> running = new ArrayList<>();
    private final Thread thread;
    private final StepDelivery delivery;
    private final java.util.function.Supplier<TokenGenerator> generators;
    private final java.util.Set<Handle> onEngine = new java.util.HashSet<>(); // generations in a whole-model engine's loop; under lock
    private final List<Handle> resumed = new ArrayList<>(); // generations whose engine was lost, to step on layer stages; under lock
    private volatile boolean closed;
    private volatile int runningCount;
    /** One session's logits at a time, for sampling (which changes them); the scheduler thread's own, reused every step. */
    private float[] logits = new float[0];
    // What the steps looked like, for /metrics and brt loadtest: their count, and sessions and positions over them.
    private final LongAdder stepsRun = new LongAdder();
    private final LongAdder sessionsStepped = new LongAdder();
    private final LongAdder positionsStepped = new LongAdder();

    /**
     * @param maxRunning    generations that run at once (each holds a KV cache of {@code contextCapacity})
     * @param maxQueued     generations that may wait for a free slot
     * @param prefillBudget prompt positions run per step, over all prefilling generations
     */
    public BatchScheduler(Pipeline pipeline, Tokenizer tokenizer, int contextCapacity, int maxRunning, int maxQueued, int prefillBudget) {
        this(pipeline, tokenizer, contextCapacity, maxRunning, maxQueued, prefillBudget, null);
    }

    /**
     * As above; {@code generators} is asked at each admission for the whole-model engine the model runs in now
     * (null when it runs step by step: a cluster's plan can change from one to the other).
     */
    public BatchScheduler(Pipeline pipeline, Tokenizer tokenizer, int contextCapacity, int maxRunning, int maxQueued, int prefillBudget,
            java.util.function.Supplier<TokenGenerator> generators) {
        this.generators = generators == null ? () -> null : generators;
        this.pipeline = requireNonNull(pipeline, "pipeline is null");
        this.tokenizer = requireNonNull(tokenizer, "tokenizer is null");
        if (contextCapacity <= 0 || maxRunning <= 0 || maxQueued < 0 || prefillBudget <= 0) {
            throw new IllegalArgumentException("contextCapacity, maxRunning and prefillBudget must be positive, maxQueued >= 0");
        }
        this.contextCapacity = contextCapacity;
        this.maxRunning = maxRunning;
        this.maxQueued = maxQueued;
        this.prefillBudget = prefillBudget;
        this.delivery = new StepDelivery(pipeline.plan().modelId());
        this.thread = Thread.ofPlatform().daemon().name("brt-scheduler-" + pipeline.plan().modelId()).start(this::loop);
    }

    /**
     * Queues a generation.
     *
     * @throws dev.baremetalrt.spi.SessionException when the prompt does not fit the context or holds ids
     *                                              outside the vocabulary
     * @throws OverloadedException                 when {@code maxQueued} generations already wait
     */
    public Handle submit(GenerationRequest request, TokenSink sink) {
        requireNonNull(request, "request is null");
        requireNonNull(sink, "sink is null");
        InferenceEngine.validate(request, pipeline, tokenizer, contextCapacity);
        StepSink stepSink = new StepSink(sink);
        Handle h = new Handle(new Generation("sched-" + SESSION_IDS.incrementAndGet(), request, stepSink, tokenizer, contextCapacity), stepSink);
        if (h.generation.finished()) { // max_tokens 0
            h.result.complete(h.generation.result());
            return h;
        }
        lock.lock();
        try {
            if (closed) {
                throw new OverloadedException("model %s is shutting down".formatted(pipeline.plan().modelId()), 5);
            }
            if (running.size() + onEngine.size() + queue.size() >= maxRunning + maxQueued) {
                throw new OverloadedException("model %s: %d generations running and %d waiting; try again shortly"
                        .formatted(pipeline.plan().modelId(), running.size(), queue.size()), 1);
            }
            queue.add(h);
            work.signal();
        } finally {
            lock.unlock();
        }
        return h;
    }

    /** Generations waiting for a slot. */
    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Generations holding sessions. */
    public int running() {
        return runningCount;
    }

    public int contextCapacity() {
        return contextCapacity;
    }

    /** Forward steps run so far (each one batch through the pipeline). */
    public long steps() {
        return stepsRun.sum();
    }

    /** Sessions over all steps so far: divided by {@link #steps}, how wide the batches were. */
    public long stepSessions() {
        return sessionsStepped.sum();
    }

    /** Token positions over all steps so far (decode tokens and prompt chunks). */
    public long stepPositions() {
        return positionsStepped.sum();
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    private void runOnEngine(Handle h, TokenGenerator generator) {
        TokenSink cancellable = new TokenSink() {
            @Override
            public void onText(String text) {}

            @Override
            public boolean isCancelled() {
                return h.cancelRequested();
            }
        };
        try {
            GenerationResult result = GeneratorRun.run(generators, generator, pipeline.plan().modelId(), h.generation, h.generation.request(), cancellable, contextCapacity);
            if (result == null) { // its engine was lost and the model runs on layer stages now: the step loop takes it over
                lock.lock();
                try {
                    resumed.add(h);
                } finally {
                    lock.unlock();
                }
            } else {
                h.result.complete(result);
            }
        } catch (RuntimeException e) {
            h.generation.finish(FinishReason.CANCELLED);
            h.result.completeExceptionally(e);
        } finally {
            lock.lock();
            try {
                onEngine.remove(h);
                runningCount = running.size() + onEngine.size();
                work.signal();
            } finally {
                lock.unlock();
            }
        }
    }

    private void loop() {
        delivery.ownedBy(Thread.currentThread());
        while (!closed) {
            try {
                if (!admit()) {
                    continue;
                }
                dropCancelled();
                step();
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                LOG.log(Level.SEVERE, "model %s: scheduler step failed".formatted(pipeline.plan().modelId()), e);
            } finally {
                delivery.handOver();
            }
        }
        failAll(new OverloadedException("model %s was shut down".formatted(pipeline.plan().modelId()), 5));
        delivery.handOver();
        List<Handle> engineLeft;
        lock.lock();
        try {
            engineLeft = List.copyOf(onEngine);
        } finally {
            lock.unlock();
        }
        engineLeft.forEach(Handle::cancel); // each ends CANCELLED within one poll of GeneratorRun
    }

    /** Moves queued generations into free slots; waits when there is nothing to do. Returns whether anything runs. */
    private boolean admit() throws InterruptedException {
        List<Handle> admitted = new ArrayList<>();
        lock.lock();
        try {
            while (running.isEmpty() && resumed.isEmpty() && !closed && (queue.isEmpty() || onEngine.size() >= maxRunning)) {
                work.await(); // nothing to step: wait for a submission or for a slot an engine generation frees
            }
            admitted.addAll(resumed); // already admitted once: they keep their slot
            resumed.clear();
            while (running.size() + onEngine.size() + admitted.size() < maxRunning && !queue.isEmpty()) {
                admitted.add(queue.poll());
            }
        } finally {
            lock.unlock();
        }
        for (Handle h : admitted) {
            if (h.cancelRequested()) {
                h.generation.finish(FinishReason.CANCELLED);
                h.result.complete(h.generation.result());
                continue;
            }
            TokenGenerator engine;
            try {
                engine = h.generation.resumedOnStages() ? null : generators.get();
            } catch (RuntimeException e) {
                h.result.completeExceptionally(e);
                continue;
            }
            if (engine != null) { // the model runs whole in an engine that batches by itself: one virtual thread per generation
                lock.lock();
                try {
                    onEngine.add(h);
                    runningCount = running.size() + onEngine.size();
                } finally {
                    lock.unlock();
                }
                Thread.ofVirtual().name("brt-generation-" + h.generation.sessionId).start(() -> runOnEngine(h, engine));
                continue;
            }
            try {
                pipeline.openSession(h.generation.sessionId);
                addRunning(h);
            } catch (RuntimeException e) {
                h.result.completeExceptionally(e);
            }
        }
        return !running.isEmpty();
    }

    private void dropCancelled() {
        for (Handle h : List.copyOf(running)) {
            if (h.sink.failure != null) {
                fail(h, h.sink.failure);
            } else if (h.cancelRequested()) {
                h.generation.finish(FinishReason.CANCELLED);
                complete(h);
            }
        }
    }

    private void step() {
        List<SessionStep> steps = new ArrayList<>();
        List<Handle> inBatch = new ArrayList<>();
        List<Boolean> wantsLogits = new ArrayList<>();
        int budget = prefillBudget;
        for (Handle h : running) {
            Generation g = h.generation;
            if (!g.prefilling()) {
                steps.add(SessionStep.ofTokens(g.sessionId, g.nextPosition(), new int[] {g.lastToken()}, SessionStep.Logits.LAST));
                inBatch.add(h);
                wantsLogits.add(true);
            }
        }
        for (Handle h : running) { // oldest first, within the budget
            Generation g = h.generation;
            if (g.prefilling() && budget > 0) {
                int position = g.nextPosition();
                int[] chunk = g.nextPromptChunk(budget);
                budget -= chunk.length;
                steps.add(SessionStep.ofTokens(g.sessionId, position, chunk, SessionStep.Logits.LAST));
                inBatch.add(h);
                wantsLogits.add(!g.prefilling());
            }
        }
        if (steps.isEmpty()) {
            return;
        }
        StepResult result;
        StepBatch batch = new StepBatch(steps);
        stepsRun.increment();
        sessionsStepped.add(steps.size());
        positionsStepped.add(batch.totalPositions());
        try {
            result = pipeline.forward(batch);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "model %s: step of %d sessions failed: %s".formatted(pipeline.plan().modelId(), steps.size(), e.getMessage()));
            for (Handle h : inBatch) {
                fail(h, e);
            }
            return;
        }
        for (int i = 0; i < inBatch.size(); i++) {
            Handle h = inBatch.get(i);
            if (!wantsLogits.get(i)) {
                continue;
            }
            try {
                TensorPayload out = result.output(h.generation.sessionId);
                if (logits.length != out.size()) {
                    logits = new float[out.size()];
                }
                out.copyTo(0, logits, 0, logits.length);
                if (h.generation.accept(logits)) {
                    complete(h);
                }
            } catch (RuntimeException e) { // sampling or decoding that fails ends its own generation only
                fail(h, e);
            }
        }
    }

    /**
     * Ends a generation; its result completes after the events it raised so far have reached its sink, and fails
     * instead when the sink threw on one of them (its last token's, too).
     */
    private void complete(Handle h) {
        removeRunning(h);
        GenerationResult r = h.generation.result();
        delivery.run(() -> {
            if (h.sink.failure != null) {
                h.result.completeExceptionally(h.sink.failure);
            } else {
                h.result.complete(r);
            }
        });
    }

    private void fail(Handle h, Throwable e) {
        removeRunning(h);
        h.generation.finish(FinishReason.CANCELLED);
        delivery.run(() -> h.result.completeExceptionally(e));
    }

    private void addRunning(Handle h) {
        running.add(h);
        runningCount = running.size() + onEngineCount();
    }

    private int onEngineCount() {
        lock.lock();
        try {
            return onEngine.size();
        } finally {
            lock.unlock();
        }
    }

    private void removeRunning(Handle h) {
        if (running.remove(h)) {
            runningCount = running.size() + onEngineCount();
            try {
                pipeline.release(h.generation.sessionId);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "model %s: releasing session %s failed: %s".formatted(pipeline.plan().modelId(), h.generation.sessionId, e.getMessage()));
            }
        }
    }

    private void failAll(RuntimeException e) {
        for (Handle h : List.copyOf(running)) {
            fail(h, e);
        }
        failQueued(e);
    }

    private void failQueued(RuntimeException e) {
        lock.lock();
        try {
            queue.forEach(h -> h.result.completeExceptionally(e));
            queue.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Stops the scheduler thread; running and queued generations fail with {@link OverloadedException}. */
    @Override
    public void close() {
        closed = true;
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(30_000);
            delivery.shutdown(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
