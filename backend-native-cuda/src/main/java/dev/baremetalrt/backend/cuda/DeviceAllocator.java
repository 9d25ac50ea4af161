package dev.baremetalrt.backend.cuda;

import dev.baremetalrt.spi.BackendException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Allocates device memory for one shard and turns running out into a {@link BackendException} that names
 * the device, the shard's layer range, what was being allocated and the sizes.
 */
final class DeviceAllocator {
    private final CudaDevice device;
    private final String shard;

    DeviceAllocator(CudaDevice device, String shard) {
        this.device = device;
        this.shard = shard;
    }

    DevicePointer allocate(long bytes, String what) {
        DevicePointer p = new DevicePointer();
        int result = JCudaDriver.cuMemAlloc(p, Math.max(bytes, 1));
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new BackendException(MemoryPlan.outOfMemory(device.id, shard, what, bytes, device.freeMemory(), device.totalMemory));
        }
        CudaDriver.check(result, "%s: allocating %s for %s (%s)".formatted(device.id, MemoryPlan.mib(bytes), shard, what));
        return p;
    }

    static void free(CUdeviceptr p) {
        if (p != null) {
            JCudaDriver.cuMemFree(p);
        }
    }

    /** Page-locked host memory (fast, asynchronous copies to and from the device). */
    Pointer allocateHost(long bytes, String what) {
        Pointer p = new Pointer();
        CudaDriver.check(JCudaDriver.cuMemAllocHost(p, Math.max(bytes, 1)), "%s: pinned host buffer of %s for %s (%s)".formatted(device.id, MemoryPlan.mib(bytes), shard, what));
        return p;
    }

    static void freeHost(Pointer p) {
        if (p != null) {
            JCudaDriver.cuMemFreeHost(p);
        }
    }
}
