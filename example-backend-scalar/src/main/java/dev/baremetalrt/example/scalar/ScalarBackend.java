package dev.baremetalrt.example.scalar;

import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendCapabilities;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.DeviceInfo;
import dev.baremetalrt.spi.MemoryReport;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.WeightType;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** Loads shards; declares F32 and F16 (any other type is refused at load, naming it), layer ranges, 8 sessions per batch. */
final class ScalarBackend implements Backend {
    static final DeviceInfo DEVICE = new DeviceInfo("cpu", "plain Java, one thread", Runtime.getRuntime().maxMemory(), Runtime.getRuntime().maxMemory());
    static final Set<WeightType> WEIGHT_TYPES = Set.of(WeightType.F32, WeightType.F16);
    static final int MAX_BATCH_SESSIONS = 8;

    private final List<ScalarShard> shards = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    @Override
    public String id() {
        return "scalar";
    }

    @Override
    public BackendCapabilities capabilities() {
        return new BackendCapabilities(WEIGHT_TYPES, true, MAX_BATCH_SESSIONS, List.of(DEVICE));
    }

    @Override
    public Shard load(ShardSpec spec) {
        if (closed) {
            throw new BackendException("scalar backend is closed; cannot load " + spec.describe());
        }
        ScalarShard shard = new ScalarShard(spec, shards::remove);
        shards.add(shard);
        return shard;
    }

    @Override
    public MemoryReport memory() {
        return shards.stream().map(ScalarShard::memory).reduce(MemoryReport.EMPTY, MemoryReport::plus);
    }

    @Override
    public void close() {
        closed = true;
        shards.forEach(ScalarShard::close);
    }
}
