package dev.baremetalrt.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * One session's keys and values for the shard's layers: per layer a float32 {@code [allocated, kvHeads,
 * headDim]} buffer that grows (doubling, up to the context capacity) as positions arrive, so a short chat
 * does not hold a whole context's worth of memory. Not thread-safe: the shard serialises access.
 */
final class KvCache implements AutoCloseable {
    private static final int FIRST_ALLOCATION = 64;

    private final NDManager manager;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int capacity;
    private NDArray[] keys;
    private NDArray[] values;
    private int allocated;
    int length;

    KvCache(NDManager manager, int layers, int kvHeads, int headDim, int capacity) {
        this.manager = manager;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.capacity = capacity;
    }

    /** Makes room for {@code positions} positions in every layer. */
    void reserve(int positions) {
        if (positions <= allocated) {
            return;
        }
        int size = Math.min(capacity, Math.max(positions, Math.max(FIRST_ALLOCATION, 2 * allocated)));
        NDArray[] newKeys = new NDArray[layers];
        NDArray[] newValues = new NDArray[layers];
        for (int l = 0; l < layers; l++) {
            newKeys[l] = manager.zeros(new Shape(size, kvHeads, headDim));
            newValues[l] = manager.zeros(new Shape(size, kvHeads, headDim));
            if (length > 0) {
                try (NDManager copies = manager.newSubManager()) {
                    NDIndex kept = new NDIndex("0:{}", length);
                    newKeys[l].set(kept, keys[l].get(copies, kept));
                    newValues[l].set(kept, values[l].get(copies, kept));
                }
            }
        }
        closeBuffers();
        keys = newKeys;
        values = newValues;
        allocated = size;
    }

    /** Writes {@code k} and {@code v} ({@code [n, kvHeads, headDim]}) of layer {@code l} at positions {@code [start, start + n)}. */
    void write(int l, int start, NDArray k, NDArray v) {
        NDIndex at = new NDIndex("{}:{}", start, start + k.getShape().get(0));
        keys[l].set(at, k);
        values[l].set(at, v);
    }

    /** Keys of layer {@code l} for positions {@code [0, positions)}, attached to {@code scratch}. */
    NDArray keys(NDManager scratch, int l, int positions) {
        return keys[l].get(scratch, new NDIndex("0:{}", positions));
    }

    NDArray values(NDManager scratch, int l, int positions) {
        return values[l].get(scratch, new NDIndex("0:{}", positions));
    }

    /** Bytes of the buffers allocated now. */
    long bytes() {
        return 2L * layers * allocated * kvHeads * headDim * Float.BYTES;
    }

    private void closeBuffers() {
        if (keys != null) {
            for (int l = 0; l < layers; l++) {
                keys[l].close();
                values[l].close();
            }
        }
    }

    @Override
    public void close() {
        closeBuffers();
        keys = null;
        values = null;
        allocated = 0;
        manager.close();
    }
}
