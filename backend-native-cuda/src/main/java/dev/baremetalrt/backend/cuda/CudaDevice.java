package dev.baremetalrt.backend.cuda;

import static dev.baremetalrt.backend.cuda.CudaDriver.check;

import dev.baremetalrt.spi.DeviceInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * One GPU: its primary context (retained on first use, released by {@link #close()}) and the kernels
 * loaded into it. Shards on the same device share both.
 */
final class CudaDevice implements AutoCloseable {
    /** Compute capability the cubins and PTX target (Ampere, sm_80). */
    static final int MIN_COMPUTE_CAPABILITY = 80;

    final int ordinal;
    final String id;
    final String name;
    final int computeCapability;
    final long totalMemory;
    private final CUdevice device = new CUdevice();
    private CUcontext context;
    private CudaKernels kernels;

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        this.id = "cuda:" + ordinal;
        check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        byte[] nameBytes = new byte[256];
        check(JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, device), id + ": cuDeviceGetName");
        int length = 0;
        while (length < nameBytes.length && nameBytes[length] != 0) {
            length++;
        }
        this.name = new String(nameBytes, 0, length, StandardCharsets.UTF_8);
        this.computeCapability = 10 * attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                + attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        long[] total = new long[1];
        check(JCudaDriver.cuDeviceTotalMem(total, device), id + ": cuDeviceTotalMem");
        this.totalMemory = total[0];
    }

    /** Every device the driver sees (CUDA_VISIBLE_DEVICES applies). The driver must be available. */
    static List<CudaDevice> all() {
        CudaDriver.ensureAvailable();
        int[] count = new int[1];
        check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
        List<CudaDevice> devices = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            devices.add(new CudaDevice(i));
        }
        return devices;
    }

    private int attribute(int attribute) {
        int[] value = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(value, attribute, device), id + ": cuDeviceGetAttribute");
        return value[0];
    }

    boolean supported() {
        return computeCapability >= MIN_COMPUTE_CAPABILITY;
    }

    /** Makes this device's primary context current on the calling thread (retaining it the first time). */
    synchronized void makeCurrent() {
        if (context == null) {
            CUcontext c = new CUcontext();
            check(JCudaDriver.cuDevicePrimaryCtxRetain(c, device), id + ": cuDevicePrimaryCtxRetain");
            context = c;
        }
        check(JCudaDriver.cuCtxSetCurrent(context), id + ": cuCtxSetCurrent");
    }

    /** The kernels, loaded into this device's context on first use. */
    synchronized CudaKernels kernels() {
        makeCurrent();
        if (kernels == null) {
            kernels = new CudaKernels(id);
        }
        return kernels;
    }

    /** Free device memory now (makes the context current). */
    long freeMemory() {
        makeCurrent();
        long[] free = new long[1];
        long[] total = new long[1];
        check(JCudaDriver.cuMemGetInfo(free, total), id + ": cuMemGetInfo");
        return free[0];
    }

    String describe() {
        return "%s %s (sm_%d, %s)".formatted(id, name, computeCapability, MemoryPlan.mib(totalMemory));
    }

    DeviceInfo info() {
        return new DeviceInfo(id, "%s (sm_%d)".formatted(name, computeCapability), totalMemory, context == null ? -1 : freeMemory());
    }

    @Override
    public synchronized void close() {
        if (context != null) {
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
            context = null;
            kernels = null;
        }
    }
}
