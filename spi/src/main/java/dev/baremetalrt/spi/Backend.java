package dev.baremetalrt.spi;

/**
 * An open backend. Loads {@link Shard}s; one backend may hold several (for example the stages of an
 * in-process split). Thread-safe. {@link #close()} closes every shard it loaded; anything called after
 * that throws {@link BackendException}.
 */
public interface Backend extends AutoCloseable {
    /** The provider's id. */
    String id();

    /** What it can do. */
    BackendCapabilities capabilities();

    /**
     * Loads a contiguous range of decoder layers, with the embedding and/or head when the spec asks.
     *
     * @throws BackendException when a weight type is not supported, a tensor is missing or has the wrong
     *                          shape, memory runs out, or the backend is closed; the message names the
     *                          model and layer range
     */
    Shard load(ShardSpec spec);

    /**
     * As {@link #load(ShardSpec)}, telling {@code progress} how many layers are loaded as it goes. The default
     * reports once, at the end; a backend whose loading takes long (copying to a device, widening weights)
     * reports each layer.
     */
    default Shard load(ShardSpec spec, LoadProgress progress) {
        Shard shard = load(spec);
        progress.loaded(spec.layers().size(), spec.layers().size());
        return shard;
    }

    /** Memory held by all loaded shards. */
    default MemoryReport memory() {
        return MemoryReport.EMPTY;
    }

    @Override
    void close();
}
