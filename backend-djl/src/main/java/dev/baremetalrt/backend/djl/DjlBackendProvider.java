package dev.baremetalrt.backend.djl;

import ai.djl.pytorch.jni.LibUtils;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.ProbeResult;

/**
 * The {@code djl} backend: Llama layer ranges as DJL NDArray operations on PyTorch. Construction touches
 * nothing native; {@link #probe()} starts the engine (unpacking libtorch the first time, a few seconds).
 *
 * <p>Backend properties: {@code device} = {@code cpu}, {@code gpu} or {@code gpu:N} (default: the first GPU
 * libtorch sees, else the CPU).
 */
public final class DjlBackendProvider implements BackendProvider {
    @Override
    public String id() {
        return "djl";
    }

    @Override
    public String description() {
        return "DJL 0.35.1 on PyTorch 2.7.1: NDArray ops, CPU (or CUDA with a CUDA libtorch); float32 compute, block-quantized weights widened at load";
    }

    @Override
    public ProbeResult probe() {
        PyTorchRuntime.State state = PyTorchRuntime.start(0);
        if (state.engine() == null) {
            return ProbeResult.unavailable(state.failure());
        }
        int gpus = state.engine().getGpuCount();
        return ProbeResult.available("PyTorch %s (libtorch at %s), %s; offline (natives from the class path); %s".formatted(
                state.engine().getVersion(), LibUtils.getLibtorchPath(),
                gpus == 0 ? "CPU only: no CUDA device visible to this libtorch" : gpus + " CUDA device(s), runs on gpu:0 by default", DjlBackend.NOTE),
                PyTorchRuntime.devices(state.engine()));
    }

    @Override
    public Backend open(BackendOptions options) {
        PyTorchRuntime.State state = PyTorchRuntime.start(options.threads());
        if (state.engine() == null) {
            throw new BackendException(state.failure());
        }
        try {
            return new DjlBackend(state.engine(), PyTorchRuntime.device(state.engine(), options.property("device").orElse(null)));
        } catch (IllegalArgumentException e) {
            throw new BackendException(e.getMessage());
        }
    }
}
