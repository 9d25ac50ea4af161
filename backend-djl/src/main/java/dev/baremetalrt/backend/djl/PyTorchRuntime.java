package dev.baremetalrt.backend.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import dev.baremetalrt.spi.DeviceInfo;
import dev.baremetalrt.spi.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Starts DJL's PyTorch engine once per JVM, offline: libtorch and DJL's JNI library come from jars on the
 * class path ({@code pytorch-native-cpu}, {@code pytorch-jni}) and are unpacked to DJL's cache folder; DJL
 * is never allowed to download anything. A failure is remembered and explained, not retried.
 *
 * <p>Settings (system property {@code brt.*} or environment {@code BRT_*}, see {@link Settings}):
 * {@code djl.cache} — where libtorch is unpacked (sets DJL's {@code ENGINE_CACHE_DIR}; DJL's own default is
 * {@code ~/.djl.ai}). DJL's {@code PYTORCH_LIBRARY_PATH} and {@code PYTORCH_FLAVOR} select another
 * libtorch, e.g. a CUDA build.
 */
final class PyTorchRuntime {
    private static final Logger LOG = Logger.getLogger(PyTorchRuntime.class.getName());
    /**
     * DJL warns "Failed to detect GPU count" on every machine that has a CUDA runtime but no driver; the probe
     * already says "no CUDA device visible", so that warning is kept out of the console (held here because
     * java.util.logging forgets a level set on a logger nobody references).
     */
    private static final Logger CUDA_PROBE_LOG = Logger.getLogger("ai.djl.util.cuda.CudaUtils");
    static final String ENGINE = "PyTorch";

    /** The started engine, or why it could not start. */
    record State(Engine engine, String failure) {}

    private static State state;

    private PyTorchRuntime() {}

    /** Starts the engine (once); {@code threads} > 0 sets libtorch's intra-op threads on the first call only. */
    static synchronized State start(int threads) {
        if (state == null) {
            state = startOnce(threads);
        }
        return state;
    }

    private static State startOnce(int threads) {
        CUDA_PROBE_LOG.setLevel(java.util.logging.Level.SEVERE);
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true"); // natives come from the class path, never from the network
        }
        Settings.get("djl.cache").ifPresent(dir -> System.setProperty("ENGINE_CACHE_DIR", dir));
        if (threads > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        try {
            Engine engine = Engine.getEngine(ENGINE);
            LOG.info(() -> "djl: PyTorch %s from %s, %d GPU(s)".formatted(engine.getVersion(), LibUtils.getLibtorchPath(), engine.getGpuCount()));
            return new State(engine, null);
        } catch (Throwable e) { // EngineException, UnsatisfiedLinkError, NoClassDefFoundError: all mean "cannot run here"
            String why = explain(e);
            LOG.warning("djl: PyTorch could not start: " + why);
            return new State(null, why);
        }
    }

    private static String explain(Throwable e) {
        StringBuilder cause = new StringBuilder();
        for (Throwable t = e; t != null && cause.length() < 600; t = t.getCause()) {
            cause.append(cause.isEmpty() ? "" : "; caused by ").append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
        }
        return ("PyTorch through DJL %s did not start: %s. The djl backend needs ai.djl.pytorch:pytorch-native-cpu 2.7.1 for this OS "
                + "on the class path (brt ships it), or PYTORCH_LIBRARY_PATH pointing at a libtorch 2.7.1 lib folder; it never downloads "
                + "natives (ai.djl.offline=true).").formatted(Engine.getDjlVersion(), cause);
    }

    /** The devices the engine sees: the CPU, then each GPU. */
    static List<DeviceInfo> devices(Engine engine) {
        List<DeviceInfo> devices = new ArrayList<>();
        devices.add(new DeviceInfo("cpu", "libtorch CPU, %d threads".formatted(Runtime.getRuntime().availableProcessors()), -1, -1));
        for (int i = 0; i < engine.getGpuCount(); i++) {
            devices.add(new DeviceInfo("gpu:" + i, "libtorch CUDA device " + i, -1, -1));
        }
        return devices;
    }

    /** The device named by the backend property {@code device} ({@code cpu}, {@code gpu}, {@code gpu:N}); default the first GPU, else the CPU. */
    static Device device(Engine engine, String requested) {
        if (requested == null || requested.isBlank()) {
            return engine.getGpuCount() > 0 ? Device.gpu(0) : Device.cpu();
        }
        String r = requested.trim().toLowerCase(java.util.Locale.ROOT);
        if (r.equals("cpu")) {
            return Device.cpu();
        }
        if (r.equals("gpu") || r.startsWith("gpu:") || r.startsWith("cuda")) {
            int index;
            try {
                index = r.contains(":") ? Integer.parseInt(r.substring(r.indexOf(':') + 1)) : 0;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("djl: unknown device '%s' (use cpu, gpu or gpu:N)".formatted(requested));
            }
            if (index >= engine.getGpuCount()) {
                throw new IllegalArgumentException("djl: device %s requested, but libtorch sees %d GPU(s) (libtorch at %s)"
                        .formatted(requested, engine.getGpuCount(), LibUtils.getLibtorchPath()));
            }
            return Device.gpu(index);
        }
        throw new IllegalArgumentException("djl: unknown device '%s' (use cpu, gpu or gpu:N)".formatted(requested));
    }
}
