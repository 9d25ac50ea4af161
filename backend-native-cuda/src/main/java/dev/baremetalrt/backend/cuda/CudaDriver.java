package dev.baremetalrt.backend.cuda;

import dev.baremetalrt.spi.BackendException;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Loads JCuda's driver binding once and initialises the driver. JCuda needs only {@code libcuda.so.1}
 * ({@code nvcuda.dll} on Windows), which the NVIDIA driver installs. A missing library shows as an
 * {@link UnsatisfiedLinkError} the first time and {@link NoClassDefFoundError} after, so the outcome is
 * kept here and every caller asks {@link #failure()} instead of touching JCuda.
 */
final class CudaDriver {
    /** The driver API version the kernels need: nvcc 13.0's PTX and cubins load on R580 (CUDA 13.0) or newer. */
    static final int REQUIRED_DRIVER_VERSION = 13000;

    private static final String FAILURE;
    private static final int DRIVER_VERSION;

    static {
        String failure = null;
        int version = 0;
        try {
            JCudaDriver.setExceptionsEnabled(false);
            int init = JCudaDriver.cuInit(0);
            if (init == CUresult.CUDA_ERROR_NO_DEVICE) {
                failure = "the NVIDIA driver is installed but sees no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE); check CUDA_VISIBLE_DEVICES and nvidia-smi";
            } else if (init != CUresult.CUDA_SUCCESS) {
                failure = "the NVIDIA driver failed to initialise (cuInit: %s); check nvidia-smi".formatted(CUresult.stringFor(init));
            } else {
                int[] v = new int[1];
                check(JCudaDriver.cuDriverGetVersion(v), "cuDriverGetVersion");
                version = v[0];
                failure = driverVersionProblem(version);
            }
        } catch (LinkageError e) {
            failure = missingDriverMessage(e);
        }
        FAILURE = failure;
        DRIVER_VERSION = version;
    }

    private CudaDriver() {}

    /** Why the driver cannot be used, or null when it can. */
    static String failure() {
        return FAILURE;
    }

    /** The driver's CUDA version as 1000 * major + 10 * minor (0 when it did not load). */
    static int driverVersion() {
        return DRIVER_VERSION;
    }

    static void ensureAvailable() {
        if (FAILURE != null) {
            throw new BackendException("cuda backend unavailable: " + FAILURE);
        }
    }

    static String missingDriverMessage(Throwable e) {
        String library = System.getProperty("os.name", "").startsWith("Windows") ? "nvcuda.dll" : "libcuda.so.1";
        return "no NVIDIA driver: %s could not be loaded (%s). Install the NVIDIA driver R580 or newer; the CUDA toolkit is not needed at run time"
                .formatted(library, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse(""));
    }

    /** Null when {@code version} can run the kernels, else what to upgrade. */
    static String driverVersionProblem(int version) {
        if (version >= REQUIRED_DRIVER_VERSION) {
            return null;
        }
        return "the NVIDIA driver supports CUDA %s, but the kernels were built with CUDA 13.0 and need driver R580 or newer (CUDA 13.0); update the driver"
                .formatted(versionString(version));
    }

    static String versionString(int version) {
        return "%d.%d".formatted(version / 1000, version % 1000 / 10);
    }

    /** Throws a {@link BackendException} naming the call and the CUDA error unless {@code result} is success. */
    static void check(int result, String what) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new BackendException("%s failed: %s".formatted(what, CUresult.stringFor(result)));
        }
    }
}
