package dev.baremetalrt.cluster;

import java.time.Duration;
import java.util.ArrayDeque;

/**
 * The rate of a growing counter over a sliding window (positions per second through a node's stages, for
 * the cluster status). Not thread-safe: one agent thread samples it.
 */
final class RecentRate {
    private record Sample(long nanos, long count) {}

    private final long windowNanos;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private double publishedRate;

    RecentRate(Duration window) {
        this.windowNanos = window.toNanos();
    }

    /** Records the counter's value at {@code nanos} (System.nanoTime) and forgets samples older than the window. */
    void add(long nanos, long count) {
        samples.addLast(new Sample(nanos, count));
        while (samples.size() > 2 && nanos - samples.peekFirst().nanos() > windowNanos) {
            samples.removeFirst();
        }
    }

    /** Increase per second between the oldest and newest sample in the window; 0 with fewer than two. */
    double perSecond() {
        if (samples.size() < 2) {
            return 0;
        }
        Sample first = samples.peekFirst();
        Sample last = samples.peekLast();
        return last.nanos() == first.nanos() ? 0 : (last.count() - first.count()) * 1e9 / (last.nanos() - first.nanos());
    }

    /** Whether the rate moved by more than 5% (or to or from zero) since {@link #published()}. */
    boolean changedSincePublished() {
        double now = perSecond();
        return (now == 0) != (publishedRate == 0) || Math.abs(now - publishedRate) > 0.05 * Math.max(now, publishedRate);
    }

    void published() {
        publishedRate = perSecond();
    }
}
