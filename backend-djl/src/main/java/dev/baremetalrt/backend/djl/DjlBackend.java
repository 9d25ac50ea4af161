package dev.baremetalrt.backend.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendCapabilities;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.DeviceInfo;
import dev.baremetalrt.spi.LoadProgress;
import dev.baremetalrt.spi.MemoryReport;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.WeightType;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An open {@code djl} backend on one device. Every weight type loads: F32, F16 and BF16 are converted by
 * libtorch, the block-quantized types are widened by {@link BlockDecoder}; all run as float32 (see
 * {@link #NOTE}). Each shard gets its own NDManager under the backend's, so closing the backend frees all.
 */
final class DjlBackend implements Backend {
    /** What every caller of {@link #capabilities()} should know about the weight types. */
    static final String NOTE = "all weight types load, but run as float32: block-quantized weights (Q8_0, Q4_0, K-quants) are dequantized at load "
            + "and take 4 bytes per weight in memory";
    static final int MAX_BATCH_SESSIONS = 16;

    private final Device device;
    private final NDManager manager;
    private final List<DjlShard> shards = new CopyOnWriteArrayList<>();
    private final List<DeviceInfo> devices;
    private volatile boolean closed;

    DjlBackend(Engine engine, Device device) {
        this.device = device;
        this.manager = engine.newBaseManager(device);
        String id = device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu";
        this.devices = PyTorchRuntime.devices(engine).stream().filter(d -> d.id().equals(id)).toList();
    }

    @Override
    public String id() {
        return "djl";
    }

    @Override
    public BackendCapabilities capabilities() {
        return new BackendCapabilities(EnumSet.allOf(WeightType.class), true, MAX_BATCH_SESSIONS, devices, NOTE);
    }

    @Override
    public Shard load(ShardSpec spec) {
        return load(spec, LoadProgress.NONE);
    }

    /** Reports each layer once its weights are float32 arrays on the device. */
    @Override
    public synchronized Shard load(ShardSpec spec, LoadProgress progress) {
        if (closed) {
            throw new BackendException("djl backend is closed; cannot load " + spec.describe());
        }
        DjlShard shard = new DjlShard(spec, manager.newSubManager(), device, shards::remove, progress);
        shards.add(shard);
        return shard;
    }

    @Override
    public MemoryReport memory() {
        return shards.stream().map(DjlShard::memory).reduce(MemoryReport.EMPTY, MemoryReport::plus);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            shards.forEach(DjlShard::close);
            manager.close();
        }
    }
}
