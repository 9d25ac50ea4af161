package dev.baremetalrt.backend.cuda;

import jcuda.driver.CUdeviceptr;

/** A device allocation's pointer whose address can be written into a kernel's pointer table (KV caches). */
final class DevicePointer extends CUdeviceptr {
    long address() {
        return getNativePointer() + getByteOffset();
    }
}
