package dev.baremetalrt.backend.cuda;

import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.DeviceInfo;
import dev.baremetalrt.spi.ProbeResult;
import dev.baremetalrt.spi.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Provider of the {@code cuda} backend. Needs the NVIDIA driver R580+ and a GPU of compute capability 8.0
 * or newer; no CUDA toolkit at run time. Which GPUs: the backend property {@code cuda.devices} (e.g.
 * {@code 0,2}), else the setting {@code brt.cuda.devices} / {@code BRT_CUDA_DEVICES}, else every supported
 * device the driver sees (CUDA_VISIBLE_DEVICES applies first).
 */
public final class CudaBackendProvider implements BackendProvider {
    public static final String ID = "cuda";
    public static final String DEVICES_PROPERTY = "cuda.devices";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "NVIDIA GPUs through the CUDA driver API (JCuda) and BareMetalRT's own kernels; weights F32/F16/BF16/Q8_0/Q4_0/K-quants on the device";
    }

    @Override
    public ProbeResult probe() {
        try {
            if (CudaKernels.image() == null) {
                return ProbeResult.unavailable(CudaKernels.notBuiltMessage());
            }
            String failure = CudaDriver.failure();
            if (failure != null) {
                return ProbeResult.unavailable(failure);
            }
            List<CudaDevice> all = CudaDevice.all();
            if (all.isEmpty()) {
                return ProbeResult.unavailable("the NVIDIA driver sees no CUDA device; check CUDA_VISIBLE_DEVICES and nvidia-smi");
            }
            List<CudaDevice> usable = all.stream().filter(CudaDevice::supported).toList();
            String listed = all.stream().map(d -> d.describe() + (d.supported() ? "" : " [unsupported: compute capability below 8.0]"))
                    .collect(Collectors.joining(", "));
            if (usable.isEmpty()) {
                return ProbeResult.unavailable("no supported GPU: the kernels need compute capability 8.0 (Ampere) or newer; found " + listed);
            }
            List<DeviceInfo> infos = usable.stream().map(d -> new DeviceInfo(d.id, d.name, d.totalMemory, -1)).toList();
            return ProbeResult.available("driver CUDA %s; %s".formatted(CudaDriver.versionString(CudaDriver.driverVersion()), listed), infos);
        } catch (RuntimeException | LinkageError e) {
            return ProbeResult.unavailable("probing CUDA failed: " + e.getMessage());
        }
    }

    @Override
    public Backend open(BackendOptions options) {
        if (CudaKernels.image() == null) {
            throw new BackendException("cuda backend unavailable: " + CudaKernels.notBuiltMessage());
        }
        CudaDriver.ensureAvailable();
        List<CudaDevice> all = CudaDevice.all();
        String selection = options.property(DEVICES_PROPERTY).or(() -> Settings.get(DEVICES_PROPERTY)).orElse("").trim();
        List<CudaDevice> chosen = new ArrayList<>();
        if (selection.isEmpty()) {
            all.stream().filter(CudaDevice::supported).forEach(chosen::add);
        } else {
            for (int ordinal : parseDevices(selection, all.size())) {
                CudaDevice d = all.get(ordinal);
                if (!d.supported()) {
                    throw new BackendException("cuda device %s has compute capability %d.%d; the kernels need 8.0 or newer"
                            .formatted(d.describe(), d.computeCapability / 10, d.computeCapability % 10));
                }
                chosen.add(d);
            }
        }
        if (chosen.isEmpty()) {
            throw new BackendException("cuda backend: no supported GPU (compute capability 8.0+) among " + all.stream().map(CudaDevice::describe).toList());
        }
        return new CudaBackend(chosen);
    }

    /** Parses {@code 0,2} into ordinals, each below {@code count}. */
    static List<Integer> parseDevices(String selection, int count) {
        List<Integer> ordinals = new ArrayList<>();
        for (String part : selection.split(",")) {
            String p = part.trim().replaceFirst("^cuda:", "");
            int ordinal;
            try {
                ordinal = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new BackendException("%s: '%s' is not a device number (expected e.g. 0,1)".formatted(DEVICES_PROPERTY, part.trim()));
            }
            if (ordinal < 0 || ordinal >= count) {
                throw new BackendException("%s: device %d does not exist; the driver sees %d device(s), numbered from 0".formatted(DEVICES_PROPERTY, ordinal, count));
            }
            if (ordinals.contains(ordinal)) {
                throw new BackendException("%s: device %d is listed twice".formatted(DEVICES_PROPERTY, ordinal));
            }
            ordinals.add(ordinal);
        }
        return ordinals;
    }
}
