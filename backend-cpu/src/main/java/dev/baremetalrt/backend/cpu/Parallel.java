package dev.baremetalrt.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed pool of worker threads for splitting loops. A range is cut into about four pieces per thread
 * so that uneven pieces even out; pieces never get smaller than {@code minChunk}.
 */
final class Parallel implements AutoCloseable {
    /** Work on the half-open range [start, end). */
    @FunctionalInterface
    interface RangeBody {
        void run(int start, int end);
    }

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final ForkJoinPool pool;
    private final int threads;

    Parallel(int threads) {
        this.threads = threads;
        int id = POOLS.incrementAndGet();
        this.pool = new ForkJoinPool(threads, p -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("brt-cpu-" + id + "-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body} over [0, n) in parallel; returns when all pieces are done. */
    void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int chunk = Math.max(minChunk, (n + threads * 4 - 1) / (threads * 4));
        if (threads == 1 || n <= chunk) {
            body.run(0, n);
            return;
        }
        pool.invoke(new Split(0, n, chunk, body));
    }

    private static final class Split extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final int start;
        private final int end;
        private final int chunk;
        private final transient RangeBody body;

        Split(int start, int end, int chunk, RangeBody body) {
            this.start = start;
            this.end = end;
            this.chunk = chunk;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (end - start <= chunk) {
                body.run(start, end);
                return;
            }
            int mid = start + (end - start) / 2;
            invokeAll(new Split(start, mid, chunk, body), new Split(mid, end, chunk, body));
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
