package dev.baremetalrt.backend.cuda;

import dev.baremetalrt.spi.ModelConfig;

/**
 * Device-memory arithmetic of a shard: KV cache sizes, how many tokens of KV fit in what is free, and the
 * out-of-memory message. Pure arithmetic, tested without a GPU.
 */
record MemoryPlan(int layers, int kvDim, int contextCapacity) {
    /** Left free on the device after loading, for the driver, scratch buffers and other processes. */
    static final long RESERVE_BYTES = 256L << 20;

    static MemoryPlan of(ModelConfig config, int layers, int contextCapacity) {
        return new MemoryPlan(layers, config.kvDim(), contextCapacity);
    }

    /** Keys and values of one position over the shard's layers, float32. */
    long kvBytesPerToken() {
        return 2L * layers * kvDim * Float.BYTES;
    }

    /** One session's cache: the full context capacity, allocated when the session opens. */
    long sessionKvBytes() {
        return kvBytesPerToken() * contextCapacity;
    }

    /** Tokens of KV cache (over all sessions) that fit in {@code freeBytes}, keeping {@link #RESERVE_BYTES}. */
    long kvCapacityTokens(long freeBytes) {
        long perToken = kvBytesPerToken();
        return perToken == 0 ? 0 : Math.max(0, freeBytes - RESERVE_BYTES) / perToken;
    }

    /** Sessions of full capacity that fit in {@code freeBytes}. */
    long sessionsThatFit(long freeBytes) {
        return kvCapacityTokens(freeBytes) / contextCapacity;
    }

    static String outOfMemory(String device, String shard, String what, long neededBytes, long freeBytes, long totalBytes) {
        return "%s is out of memory loading %s: %s needs %s, %s of %s free. Use fewer layers per GPU (more stages or devices), a smaller quantization, or a smaller context."
                .formatted(device, shard, what, mib(neededBytes), mib(freeBytes), mib(totalBytes));
    }

    static String mib(long bytes) {
        return bytes >= 10L << 30 ? "%.1f GiB".formatted(bytes / (double) (1L << 30)) : "%.1f MiB".formatted(bytes / (double) (1L << 20));
    }
}
