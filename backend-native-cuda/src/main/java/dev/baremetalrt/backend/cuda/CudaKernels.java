package dev.baremetalrt.backend.cuda;

import static dev.baremetalrt.backend.cuda.CudaDriver.check;

import dev.baremetalrt.spi.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The kernels of {@code brt_kernels.cu}, loaded into one device's context from the fatbin in this jar,
 * and a launcher that turns Java values into kernel parameters.
 */
final class CudaKernels {
    static final String RESOURCE = "/dev/baremetalrt/backend/cuda/brt_kernels.fatbin";
    private static volatile byte[] image;

    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final String device;

    /** Loads the module into the current context of {@code device}. */
    CudaKernels(String device) {
        this.device = device;
        byte[] bytes = image();
        if (bytes == null) {
            throw new BackendException("cuda backend: " + notBuiltMessage());
        }
        check(JCudaDriver.cuModuleLoadData(module, bytes), device + ": loading the kernels (cuModuleLoadData)");
    }

    /** The fatbin, or null when this jar was built without nvcc. */
    static byte[] image() {
        byte[] cached = image;
        if (cached == null) {
            try (InputStream in = CudaKernels.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    return null;
                }
                cached = in.readAllBytes();
                image = cached;
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + RESOURCE, e);
            }
        }
        return cached;
    }

    static String notBuiltMessage() {
        return "the kernels were not built: this jar has no " + RESOURCE.substring(1)
                + " because nvcc was missing when it was built; rebuild with the CUDA toolkit 13 (nvcc) on the PATH or NVCC set";
    }

    CUfunction function(String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            check(JCudaDriver.cuModuleGetFunction(f, module, n), device + ": kernel " + n);
            return f;
        });
    }

    /**
     * Launches {@code name} on {@code stream}. Arguments: {@link CUdeviceptr} (null for a null pointer),
     * Integer, Long, Float.
     */
    void launch(String name, int gridX, int gridY, int blockX, int sharedBytes, CUstream stream, Object... args) {
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (args[i]) {
                case null -> Pointer.to(new CUdeviceptr());
                case CUdeviceptr p -> Pointer.to(p);
                case Integer v -> Pointer.to(new int[] {v});
                case Long v -> Pointer.to(new long[] {v});
                case Float v -> Pointer.to(new float[] {v});
                default -> throw new IllegalArgumentException("kernel argument of type " + args[i].getClass());
            };
        }
        check(JCudaDriver.cuLaunchKernel(function(name), gridX, gridY, 1, blockX, 1, 1, sharedBytes, stream, Pointer.to(params), null),
                device + ": launching " + name);
    }
}
