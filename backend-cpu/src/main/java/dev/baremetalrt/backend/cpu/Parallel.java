package dev.baremetalrt.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A parallel-for built for many short calls (a decode step makes about 5 per layer, some only a few
 * microseconds long). The calling thread works too; chunks are claimed from an atomic counter, shrinking
 * as the range runs out (guided scheduling), so uneven chunks even out and the threads finish close
 * together; workers spin for {@link #SPIN_NANOS} after a job before parking, so back-to-back calls
 * within one forward pass pay no wake-up. The caller, once its own chunks are done, spins only
 * {@link #CALLER_SPIN_NANOS} for the others' and then parks until the last one ends (docs/benchmarks.md,
 * "Seventh round"). A ForkJoinPool here cost 0.1-0.3 ms per call and made two threads no faster than one on
 * 2048-row matrices (measured).
 */
final class Parallel implements AutoCloseable {
    /** Work on the half-open range [start, end). */
    @FunctionalInterface
    interface RangeBody {
        void run(int start, int end);
    }

    private static final long SPIN_NANOS = 200_000;
    /**
     * How long the caller spins for the other threads' last chunks before parking until they finish. Past this, a
     * worker is usually off its core (preempted: on a 2-core machine serving HTTP, often), and a spinning caller would
     * hold the core it needs.
     */
    private static final long CALLER_SPIN_NANOS = 20_000;
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock callers = new ReentrantLock();
    private volatile Job job;
    private volatile boolean closed;

    private static final class Job {
        final RangeBody body;
        final int n;
        final int minChunk;
        final int parts;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final Thread caller;
        volatile Throwable failure;

        Job(RangeBody body, int n, int minChunk, int parts) {
            this.caller = Thread.currentThread();
            this.body = body;
            this.n = n;
            this.minChunk = minChunk;
            this.parts = parts;
        }

        /**
         * Claims and runs chunks until none are left. Guided: each claim takes 1/{@code parts} of what is left
         * (at least minChunk), so early chunks are large (few claims) and the last ones small (the threads
         * finish close together instead of one waiting out the other's last big chunk).
         */
        void work() {
            int start;
            while ((start = next.get()) < n) {
                int end = Math.min(n, start + Math.max(minChunk, (n - start) / parts));
                if (!next.compareAndSet(start, end)) {
                    continue;
                }
                try {
                    body.run(start, end);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    if (done.addAndGet(end - start) == n && Thread.currentThread() != caller) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }
    }

    Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        int pool = POOLS.incrementAndGet();
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("brt-cpu-" + pool + "-" + (i + 1)).unstarted(this::workerLoop);
            workers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over [0, n) on all threads, in chunks of at least {@code minChunk} (a range of
     * {@code minChunk} or less runs on the calling thread alone); returns when done.
     */
    void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) {
            return;
        }
        if (threads == 1 || n <= minChunk) {
            body.run(0, n);
            return;
        }
        callers.lock();
        try {
            Job j = new Job(body, n, Math.max(1, minChunk), 2 * threads);
            job = j;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            j.work();
            long deadline = System.nanoTime() + CALLER_SPIN_NANOS;
            while (j.done.get() < n) {
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, CALLER_SPIN_NANOS); // unparked by whoever finishes the last chunk
                }
            }
            job = null;
            if (j.failure instanceof RuntimeException e) {
                throw e;
            } else if (j.failure instanceof Error e) {
                throw e;
            } else if (j.failure != null) {
                throw new IllegalStateException(j.failure);
            }
        } finally {
            callers.unlock();
        }
    }

    private void workerLoop() {
        Job last = null;
        while (!closed) {
            Job j = job;
            if (j != null && j != last) {
                last = j;
                j.work();
                continue;
            }
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (((j = job) == null || j == last) && !closed) {
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                    deadline = System.nanoTime() + SPIN_NANOS;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
