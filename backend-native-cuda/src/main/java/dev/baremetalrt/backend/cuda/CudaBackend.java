package dev.baremetalrt.backend.cuda;

import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendCapabilities;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.MemoryReport;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.WeightType;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The open {@code cuda} backend over the devices it was given. Each shard goes to the device holding the
 * fewest of this backend's shards (ties: most free memory), so an in-process plan of as many stages as
 * GPUs puts one stage on each.
 */
final class CudaBackend implements Backend {
    static final int MAX_BATCH_SESSIONS = 64;
    /** Every type runs on the device in its own encoding; none is dequantized at load. */
    static final Set<WeightType> WEIGHT_TYPES = EnumSet.allOf(WeightType.class);

    private final List<CudaDevice> devices;
    private final List<CudaShard> shards = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    CudaBackend(List<CudaDevice> devices) {
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("no devices");
        }
        this.devices = List.copyOf(devices);
    }

    @Override
    public String id() {
        return CudaBackendProvider.ID;
    }

    @Override
    public BackendCapabilities capabilities() {
        return new BackendCapabilities(WEIGHT_TYPES, true, MAX_BATCH_SESSIONS, devices.stream().map(CudaDevice::info).toList());
    }

    @Override
    public Shard load(ShardSpec spec) {
        return load(spec, dev.baremetalrt.spi.LoadProgress.NONE);
    }

    /** Reports each layer as its weights reach the device. */
    @Override
    public synchronized Shard load(ShardSpec spec, dev.baremetalrt.spi.LoadProgress progress) {
        if (closed) {
            throw new BackendException("cuda backend is closed; cannot load " + spec.describe());
        }
        CudaDevice device = devices.stream()
                .min(Comparator.comparingLong((CudaDevice d) -> shards.stream().filter(s -> s.device() == d).count())
                        .thenComparingLong(d -> -d.freeMemory()))
                .orElseThrow();
        CudaShard shard = new CudaShard(spec, device, shards::remove, progress);
        shards.add(shard);
        return shard;
    }

    @Override
    public MemoryReport memory() {
        MemoryReport total = MemoryReport.EMPTY;
        for (CudaShard s : shards) {
            total = total.plus(s.memory());
        }
        return total;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (CudaShard s : shards) {
            s.close();
        }
        for (CudaDevice d : devices) {
            d.close();
        }
    }
}
