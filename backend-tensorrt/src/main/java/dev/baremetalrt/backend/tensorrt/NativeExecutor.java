package dev.baremetalrt.backend.tensorrt;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.GenerationSpec;
import dev.baremetalrt.spi.TokenGenerator;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One TensorRT-LLM executor behind the C ABI, with the thread that awaits its responses and hands them to each
 * request's listener. Native safety lives here: every argument is checked before it crosses JNI, every call
 * holds the read lock and checks the handle, {@link #close} takes the write lock only after the response thread
 * has stopped, so no call ever reaches a freed executor. Thread-safe.
 */
final class NativeExecutor implements TokenGenerator, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NativeExecutor.class.getName());
    private static final int AWAIT_MS = 50;

    private final long library;
    private final String engine;
    private final int vocabSize;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<Long, Running> running = new ConcurrentHashMap<>();
    private final Thread responses;
    private long executor;
    private volatile boolean closing;

    /** A request the engine is working on: its listener, and whether its end has been delivered. */
    private record Running(String requestId, Listener listener, int[] endTokenIds) {}

    /**
     * Creates the executor.
     *
     * @throws BackendException naming the engine directory when the library refuses it
     */
    NativeExecutor(Path libraryPath, Path engineDir, String optionsJson, int vocabSize) {
        this.engine = engineDir.toString();
        this.vocabSize = vocabSize;
        try {
            this.library = NativeLibrary.implementation(libraryPath);
            this.executor = NativeLibrary.create(library, engine, optionsJson);
        } catch (NativeException e) {
            throw new BackendException("tensorrt-llm: cannot open engine %s: %s".formatted(engine, e.getMessage()), e);
        }
        responses = Thread.ofPlatform().name("brt-trtllm-responses").daemon(true).unstarted(this::deliverResponses);
        responses.start();
    }

    /** What the library says it is. */
    String version() {
        return NativeLibrary.version(library);
    }

    @Override
    public Generation start(GenerationSpec spec, Listener listener) {
        java.util.Objects.requireNonNull(spec, "spec is null");
        java.util.Objects.requireNonNull(listener, "listener is null");
        int[] prompt = spec.promptTokens();
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= vocabSize) {
                throw new BackendException("tensorrt-llm request %s: token id %d at %d is outside the vocabulary of %d".formatted(spec.requestId(), prompt[i], i, vocabSize));
            }
        }
        List<int[]> stops = spec.stopSequences();
        int[] lengths = stops.stream().mapToInt(s -> s.length).toArray();
        int[] words = stops.stream().flatMapToInt(java.util.Arrays::stream).toArray();
        int[] ends = spec.endTokenIds();
        float[] floats = {spec.temperature(), spec.topP(), spec.minP(), spec.repetitionPenalty(), spec.presencePenalty(), spec.frequencyPenalty()};
        lock.readLock().lock();
        try {
            if (closing || executor == 0) {
                throw new BackendException("tensorrt-llm engine %s is closed; request %s refused".formatted(engine, spec.requestId()));
            }
            // The id is known only after enqueue: holding the monitor across enqueue and put makes the response
            // thread's lookup (in deliver, under the same monitor) wait for the put, so no early response is lost.
            synchronized (running) {
                long id = NativeLibrary.enqueue(library, executor, prompt, spec.maxTokens(), true, floats, spec.topK(),
                        spec.seed().isPresent(), spec.seed().orElse(0), ends.length > 0 ? ends[0] : -1,
                        stops.isEmpty() ? null : words, stops.isEmpty() ? null : lengths);
                running.put(id, new Running(spec.requestId(), listener, ends));
                return () -> cancel(id);
            }
        } catch (NativeException e) {
            throw new BackendException("tensorrt-llm engine %s refused request %s: %s".formatted(engine, spec.requestId(), e.getMessage()), e);
        } finally {
            lock.readLock().unlock();
        }
    }

    private void cancel(long id) {
        lock.readLock().lock();
        try {
            if (!closing && executor != 0 && running.containsKey(id)) {
                NativeLibrary.cancel(library, executor, id);
            }
        } catch (NativeException e) {
            LOG.warning(() -> "tensorrt-llm engine %s: cancelling request %d failed: %s".formatted(engine, id, e.getMessage()));
        } finally {
            lock.readLock().unlock();
        }
    }

    private void deliverResponses() {
        while (true) {
            NativeResponse[] batch;
            lock.readLock().lock();
            try {
                if (executor == 0) {
                    return;
                }
                batch = NativeLibrary.await(library, executor, AWAIT_MS);
            } catch (NativeException e) {
                LOG.log(Level.SEVERE, "tensorrt-llm engine %s: awaiting responses failed, failing every running request".formatted(engine), e);
                failAll("the engine failed: " + e.getMessage());
                return;
            } finally {
                lock.readLock().unlock();
            }
            if (batch == null) { // shut down and drained
                return;
            }
            for (NativeResponse r : batch) {
                deliver(r);
            }
        }
    }

    private void deliver(NativeResponse r) {
        Running request;
        synchronized (running) {
            request = r.isFinal() ? running.remove(r.requestId()) : running.get(r.requestId());
        }
        if (request == null) {
            return; // already ended (closed) or not ours
        }
        try {
            int[] tokens = r.tokens();
            int end = endAt(tokens, request.endTokenIds());
            if (end >= 0) { // an end id the engine did not stop at (it stops at the first only)
                if (end > 0) {
                    request.listener().onTokens(java.util.Arrays.copyOf(tokens, end));
                }
                synchronized (running) {
                    running.remove(r.requestId());
                }
                if (!r.isFinal()) {
                    cancel(r.requestId());
                }
                request.listener().onFinished(Finish.END_TOKEN);
                return;
            }
            if (tokens.length > 0) {
                request.listener().onTokens(tokens);
            }
            if (r.isFinal()) {
                switch (r.finishReason()) {
                    case NativeResponse.END_ID -> request.listener().onFinished(Finish.END_TOKEN);
                    case NativeResponse.STOP_WORDS -> request.listener().onFinished(Finish.STOP_SEQUENCE);
                    case NativeResponse.LENGTH -> request.listener().onFinished(Finish.LENGTH);
                    case NativeResponse.TIMED_OUT -> request.listener().onFinished(Finish.TIMED_OUT);
                    case NativeResponse.CANCELLED -> request.listener().onFinished(Finish.CANCELLED);
                    default -> request.listener().onFailed(new BackendException("tensorrt-llm engine %s failed request %s: %s"
                            .formatted(engine, request.requestId(), r.error() != null ? r.error() : "finish reason " + r.finishReason())));
                }
            }
        } catch (RuntimeException | AssertionError e) { // a listener's bug must not stop the responses of every other request
            LOG.log(Level.WARNING, "tensorrt-llm engine %s: the listener of request %s threw".formatted(engine, request.requestId()), e);
        }
    }

    private static int endAt(int[] tokens, int[] endIds) {
        for (int i = 0; i < tokens.length; i++) {
            for (int end : endIds) {
                if (tokens[i] == end) {
                    return i;
                }
            }
        }
        return -1;
    }

    private void failAll(String why) {
        List<Running> left;
        synchronized (running) {
            left = List.copyOf(running.values());
            running.clear();
        }
        for (Running r : left) {
            try {
                r.listener().onFailed(new BackendException("tensorrt-llm engine %s, request %s: %s".formatted(engine, r.requestId(), why)));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "tensorrt-llm: a listener threw while its request was failed", e);
            }
        }
    }

    @Override
    public Map<String, Double> stats() {
        lock.readLock().lock();
        try {
            if (closing || executor == 0) {
                return Map.of();
            }
            double[] s = NativeLibrary.stats(library, executor);
            String[] names = {"iterations", "active_requests", "queued_requests", "completed_requests", "max_active_requests",
                    "iteration_latency_ms", "gpu_memory_bytes", "kv_max_blocks", "kv_free_blocks", "kv_used_blocks", "kv_tokens_per_block"};
            Map<String, Double> out = new LinkedHashMap<>();
            for (int i = 0; i < names.length && i < s.length; i++) {
                if (s[i] >= 0) {
                    out.put(names[i], s[i]);
                }
            }
            return out;
        } catch (NativeException e) {
            return Map.of();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Requests the engine is still working on. */
    int running() {
        return running.size();
    }

    /**
     * Shuts the engine down: running requests end with {@link Finish#CANCELLED} (delivered by the response thread
     * from the engine's final responses, or here for any the engine dropped), then frees it. Idempotent.
     */
    @Override
    public void close() {
        lock.readLock().lock();
        try {
            if (closing || executor == 0) {
                return;
            }
            closing = true;
            NativeLibrary.shutdown(library, executor);
        } catch (NativeException e) {
            LOG.warning(() -> "tensorrt-llm engine %s: shutdown reported: %s".formatted(engine, e.getMessage()));
        } finally {
            lock.readLock().unlock();
        }
        try {
            responses.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lock.writeLock().lock();
        try {
            if (responses.isAlive()) { // the engine never said it had drained: free nothing it may still use
                LOG.severe("tensorrt-llm engine %s: the response thread did not stop within 30 s; the executor is leaked".formatted(engine));
            } else {
                NativeLibrary.destroy(library, executor);
            }
            executor = 0;
        } finally {
            lock.writeLock().unlock();
        }
        List<Running> left;
        synchronized (running) {
            left = List.copyOf(running.values());
            running.clear();
        }
        left.forEach(r -> {
            try {
                r.listener().onFinished(Finish.CANCELLED);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "tensorrt-llm: a listener threw on close", e);
            }
        });
    }
}
