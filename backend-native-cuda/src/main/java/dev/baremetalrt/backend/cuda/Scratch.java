package dev.baremetalrt.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;

/**
 * A shard's work buffers: device activations sized for the largest call so far (grown to the next power
 * of two of positions, never shrunk while the shard lives) and pinned host buffers for what goes in and out.
 */
final class Scratch implements AutoCloseable {
    /** One device buffer that grows on demand. */
    final class Device {
        private final String what;
        private DevicePointer ptr;
        private long bytes;

        Device(String what) {
            this.what = what;
        }

        DevicePointer ensure(long needed) {
            if (needed > bytes) {
                long size = Long.highestOneBit(Math.max(needed, 4096) - 1) << 1;
                DeviceAllocator.free(ptr);
                total -= bytes;
                ptr = null;
                bytes = 0;
                ptr = allocator.allocate(size, what);
                bytes = size;
                total += size;
                generation++;
            }
            return ptr;
        }

        void release() {
            DeviceAllocator.free(ptr);
            ptr = null;
            total -= bytes;
            bytes = 0;
        }
    }

    /** One pinned host buffer that grows on demand. */
    final class Host {
        private final String what;
        private Pointer ptr;
        private ByteBuffer buffer;

        Host(String what) {
            this.what = what;
        }

        /** The buffer, at least {@code needed} bytes, native order, position 0. */
        ByteBuffer ensure(long needed) {
            if (buffer == null || needed > buffer.capacity()) {
                long size = Long.highestOneBit(Math.max(needed, 4096) - 1) << 1;
                release();
                ptr = allocator.allocateHost(size, what);
                buffer = ptr.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
                total += size;
            }
            return buffer.clear();
        }

        Pointer pointer() {
            return ptr;
        }

        void release() {
            if (ptr != null) {
                total -= buffer.capacity();
                DeviceAllocator.freeHost(ptr);
                ptr = null;
                buffer = null;
            }
        }
    }

    private final DeviceAllocator allocator;
    private long total;
    /** Bumped whenever a device buffer moves: captured CUDA graphs hold the old addresses. */
    private long generation;
    final Device x;
    final Device normed;
    final Device q;
    final Device k;
    final Device v;
    final Device attention;
    final Device sum;
    final Device gate;
    final Device up;
    final Device logits;
    final Device meta;
    final Host hostIn;
    final Host hostOut;
    final Host hostMeta;

    Scratch(DeviceAllocator allocator) {
        this.allocator = allocator;
        x = new Device("hidden states");
        normed = new Device("normed hidden states");
        q = new Device("queries");
        k = new Device("keys");
        v = new Device("values");
        attention = new Device("attention output");
        sum = new Device("projection output");
        gate = new Device("FFN gate");
        up = new Device("FFN up");
        logits = new Device("logits");
        meta = new Device("positions and cache pointers");
        hostIn = new Host("input");
        hostOut = new Host("output");
        hostMeta = new Host("positions and cache pointers");
    }

    long generation() {
        return generation;
    }

    /** Bytes held now (device and pinned host). */
    long bytes() {
        return total;
    }

    @Override
    public void close() {
        for (Device d : new Device[] {x, normed, q, k, v, attention, sum, gate, up, logits, meta}) {
            d.release();
        }
        hostIn.release();
        hostOut.release();
        hostMeta.release();
    }
}
