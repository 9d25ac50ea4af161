package dev.baremetalrt.spi;

/**
 * Memory a shard or backend holds, for the planner and the conformance suite.
 *
 * @param weightBytes  bytes of weights it keeps resident in its own buffers (0 when it reads mapped files)
 * @param mappedBytes  bytes of weights it reads straight from memory-mapped files
 * @param kvCacheBytes bytes currently allocated to KV caches
 * @param scratchBytes bytes of work buffers
 */
public record MemoryReport(long weightBytes, long mappedBytes, long kvCacheBytes, long scratchBytes) {
    public static final MemoryReport EMPTY = new MemoryReport(0, 0, 0, 0);

    public MemoryReport {
        if (weightBytes < 0 || mappedBytes < 0 || kvCacheBytes < 0 || scratchBytes < 0) {
            throw new IllegalArgumentException("memory figures must be >= 0");
        }
    }

    public MemoryReport plus(MemoryReport other) {
        return new MemoryReport(weightBytes + other.weightBytes, mappedBytes + other.mappedBytes,
                kvCacheBytes + other.kvCacheBytes, scratchBytes + other.scratchBytes);
    }
}
