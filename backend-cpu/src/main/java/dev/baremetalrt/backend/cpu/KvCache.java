package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.SessionException;
import java.util.Arrays;

/**
 * Keys and values of one session for a shard's layers, {@code [position, kvDim]} per layer. Grows by
 * doubling up to the shard's capacity, so short sessions stay small. A released session's cache may serve the next
 * session ({@link CpuShard#release}), with its length set back to 0.
 */
final class KvCache {
    final float[][] keys;
    final float[][] values;
    private final int kvDim;
    private final int capacity;
    private int allocated;
    int length;

    KvCache(int layers, int kvDim, int capacity) {
        this.keys = new float[layers][];
        this.values = new float[layers][];
        this.kvDim = kvDim;
        this.capacity = capacity;
        this.allocated = 0;
        for (int l = 0; l < layers; l++) {
            keys[l] = new float[0];
            values[l] = new float[0];
        }
    }

    /** Makes room for {@code positions} positions in total. */
    void ensure(int positions) {
        if (positions <= allocated) {
            return;
        }
        int next = Math.min(capacity, Math.max(positions, Math.max(16, allocated * 2)));
        for (int l = 0; l < keys.length; l++) {
            keys[l] = Arrays.copyOf(keys[l], next * kvDim);
            values[l] = Arrays.copyOf(values[l], next * kvDim);
        }
        allocated = next;
    }

    void truncate(String sessionId, int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new SessionException("session %s: cannot truncate to %d positions, it holds %d".formatted(sessionId, newLength, length));
        }
        length = newLength;
    }

    long bytes() {
        return 2L * keys.length * allocated * kvDim * Float.BYTES;
    }
}
