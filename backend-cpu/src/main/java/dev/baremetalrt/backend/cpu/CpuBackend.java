package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendCapabilities;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.DeviceInfo;
import dev.baremetalrt.spi.MemoryReport;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.WeightType;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;

/** The open {@code cpu} backend: one worker pool shared by all its shards. */
final class CpuBackend implements Backend {
    private static final Logger LOG = Logger.getLogger(CpuBackend.class.getName());
    /** Most sessions in one forward call (declared in the capabilities, enforced by the shards). */
    static final int MAX_BATCH_SESSIONS = 64;
    static final Set<WeightType> WEIGHT_TYPES = EnumSet.allOf(WeightType.class);

    private final Parallel parallel;
    private final List<CpuShard> shards = new CopyOnWriteArrayList<>();
    private final DeviceInfo device;
    private volatile boolean closed;

    CpuBackend(int threads, DeviceInfo device) {
        this.parallel = new Parallel(threads);
        this.device = device;
    }

    @Override
    public String id() {
        return CpuBackendProvider.ID;
    }

    @Override
    public BackendCapabilities capabilities() {
        return new BackendCapabilities(WEIGHT_TYPES, true, MAX_BATCH_SESSIONS, List.of(device));
    }

    int threads() {
        return parallel.threads();
    }

    @Override
    public Shard load(ShardSpec spec) {
        if (closed) {
            throw new BackendException("cpu backend is closed; cannot load " + spec.describe());
        }
        long start = System.nanoTime();
        CpuShard shard = new CpuShard(spec, parallel, shards::remove);
        shards.add(shard);
        LOG.fine(() -> "cpu backend loaded %s in %d ms".formatted(spec.describe(), (System.nanoTime() - start) / 1_000_000));
        return shard;
    }

    @Override
    public MemoryReport memory() {
        MemoryReport total = MemoryReport.EMPTY;
        for (CpuShard s : shards) {
            total = total.plus(s.memory());
        }
        return total;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (CpuShard s : shards) {
            s.close();
        }
        parallel.close();
    }
}
