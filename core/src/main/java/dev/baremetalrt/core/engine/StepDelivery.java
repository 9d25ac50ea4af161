package dev.baremetalrt.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What a {@link BatchScheduler} step leaves for sinks and result futures, run in order on one delivery thread. Raised
 * on the scheduler thread, an action waits in the step's list, and the whole list is handed over after the step: the
 * scheduler goes on with the next step instead of waiting while each token wakes a request thread (on 2 cores about
 * 70 microseconds of wall time per token, most of an 8-session step's sampling; docs/benchmarks.md, "Eighth round").
 * Raised on any other thread (a whole-model engine's), it runs at once.
 */
final class StepDelivery {
    private static final Logger LOG = Logger.getLogger(StepDelivery.class.getName());

    private final String modelId;
    private final ExecutorService executor;
    private volatile Thread scheduler;
    private List<Runnable> pending = new ArrayList<>(); // the scheduler thread's own

    StepDelivery(String modelId) {
        this.modelId = modelId;
        this.executor = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("brt-delivery-" + modelId).unstarted(r));
    }

    /** Called first on the scheduler thread: actions raised on it from now on wait for {@link #handOver}. */
    void ownedBy(Thread schedulerThread) {
        this.scheduler = schedulerThread;
    }

    /** On the scheduler thread, keeps {@code action} for the step's hand-over and returns true; elsewhere returns false. */
    boolean defer(Runnable action) {
        if (Thread.currentThread() != scheduler) {
            return false;
        }
        pending.add(action);
        return true;
    }

    /** {@link #defer}s {@code action}, or runs it at once off the scheduler thread. */
    void run(Runnable action) {
        if (!defer(action)) {
            action.run();
        }
    }

    /** On the scheduler thread, after a step: its actions go to the delivery thread in one piece. */
    void handOver() {
        if (!pending.isEmpty()) {
            List<Runnable> step = pending;
            pending = new ArrayList<>();
            try {
                executor.execute(() -> step.forEach(this::runAlone));
            } catch (RejectedExecutionException e) { // shut down while a step still ran (close gave up waiting for it)
                step.forEach(this::runAlone);
            }
        }
    }

    /** Runs one action; one that throws must not cost the others (a completion skipped would leave a request hanging). */
    private void runAlone(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "model %s: delivering a step's event failed".formatted(modelId), e);
        }
    }

    /** Runs what was handed over, then stops; returns when done or after {@code seconds}. */
    void shutdown(long seconds) throws InterruptedException {
        executor.shutdown();
        executor.awaitTermination(seconds, TimeUnit.SECONDS);
    }
}
