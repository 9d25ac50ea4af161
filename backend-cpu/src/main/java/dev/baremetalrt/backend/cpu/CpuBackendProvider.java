package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.DeviceInfo;
import dev.baremetalrt.spi.ProbeResult;
import java.util.List;

/** Provider of the {@code cpu} backend. Always available; slower (scalar kernels) without the Vector API. */
public final class CpuBackendProvider implements BackendProvider {
    public static final String ID = "cpu";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "pure-Java CPU backend (Vector API), weights F32/F16/BF16/Q8_0/Q4_0 read from the mapped file";
    }

    @Override
    public ProbeResult probe() {
        int cores = Runtime.getRuntime().availableProcessors();
        String kernels = Simd.ENABLED ? Simd.reason() : "scalar kernels, because " + Simd.reason();
        return ProbeResult.available("%d threads, %s".formatted(cores, kernels), List.of(device()));
    }

    private static DeviceInfo device() {
        long max = Runtime.getRuntime().maxMemory();
        long free = max - (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
        String arch = System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " threads";
        return new DeviceInfo("cpu", arch, max, free);
    }

    @Override
    public Backend open(BackendOptions options) {
        int threads = options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
        return new CpuBackend(threads, device());
    }
}
