package dev.baremetalrt.backend.tensorrt;

import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.DeviceInfo;
import dev.baremetalrt.spi.ProbeResult;
import dev.baremetalrt.spi.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code tensorrt-llm} backend: a TensorRT-LLM engine (built with {@code trtllm-build}) run whole by its
 * Executor, behind the C ABI of {@code brt_trtllm.h} and a JNI layer.
 *
 * <p>Settings (backend property, else {@code brt.trtllm.*} / {@code BRT_TRTLLM_*}): {@code library} — the
 * implementation of brt_trtllm.h (default {@code BRT_HOME/tensorrt-llm/libbrt_trtllm.so}, what
 * {@code backend-tensorrt/src/main/native/trtllm/build.sh} installs); {@code engine} — the engine directory
 * (required to open); {@code options} — JSON executor options (see brt_trtllm.h).
 */
public final class TensorRtBackendProvider implements BackendProvider {
    static final String ID = "tensorrt-llm";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "TensorRT-LLM engines (trtllm-build) run whole by its Executor over JNI: token ids in, tokens out, in-flight batching inside TensorRT-LLM";
    }

    static String setting(BackendOptions options, String name) {
        return options.property(name).or(() -> Settings.get("trtllm." + name)).orElse(null);
    }

    static Path library(BackendOptions options) {
        String configured = setting(options, "library");
        return configured != null ? Path.of(configured) : Settings.home().resolve("tensorrt-llm").resolve(System.mapLibraryName("brt_trtllm"));
    }

    @Override
    public ProbeResult probe() {
        return probe(BackendOptions.defaults());
    }

    ProbeResult probe(BackendOptions options) {
        Path library = library(options);
        if (!Files.isRegularFile(library)) {
            return ProbeResult.unavailable(("no TensorRT-LLM bridge library at %s: build it on a machine with TensorRT-LLM "
                    + "(TRTLLM_ROOT=... TENSORRT_ROOT=... backend-tensorrt/src/main/native/trtllm/build.sh) or set BRT_TRTLLM_LIBRARY to it").formatted(library));
        }
        try {
            long handle = NativeLibrary.implementation(library);
            return ProbeResult.available("%s via %s; engine: %s".formatted(NativeLibrary.version(handle), library,
                    java.util.Optional.ofNullable(setting(options, "engine")).orElse("not set (BRT_TRTLLM_ENGINE or backend property engine)")),
                    List.of(new DeviceInfo("cuda", "the GPU(s) the TensorRT-LLM engine was built for", -1, -1)));
        } catch (NativeException e) {
            return ProbeResult.unavailable(e.getMessage());
        }
    }

    @Override
    public Backend open(BackendOptions options) {
        ProbeResult probe = probe(options);
        if (!probe.available()) {
            throw new BackendException("tensorrt-llm cannot run here: " + probe.detail());
        }
        String engine = setting(options, "engine");
        if (engine == null) {
            throw new BackendException("tensorrt-llm needs an engine directory: set BRT_TRTLLM_ENGINE (or -Dbrt.trtllm.engine, or the backend property engine) to what trtllm-build wrote");
        }
        return new TensorRtBackend(library(options), Path.of(engine), setting(options, "options"));
    }
}
