package dev.baremetalrt.cli;

import dev.baremetalrt.core.engine.Backends;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.BrtException;
import dev.baremetalrt.spi.ProbeResult;
import dev.baremetalrt.spi.Settings;
import dev.baremetalrt.spi.WeightType;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** Options shared by the commands that run a model in this process. */
final class ModelOptions {
    @Option(names = "--stages", description = "Split the layers over this many in-process stages (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    int stages;

    @Option(names = "--backend", description = "Backend id (see 'brt backends'; default: ${DEFAULT-VALUE}). A list such as cpu,cuda makes a mixed plan: "
            + "the stages are shared out over the backends in order (--stages defaults to the number of backends).", defaultValue = "cpu")
    String backend;

    @Option(names = "--threads", description = "Worker threads (default: all processors).", defaultValue = "0")
    int threads;

    @Option(names = "--ctx", description = "Context capacity per session in tokens (default: the model's, at most ${DEFAULT-VALUE}).", defaultValue = "4096")
    int context;

    /** Opens the backend(s) and loads the model split into stages. */
    LocalDeployment deploy(Model model) {
        List<BackendProvider> providers = providers();
        int stageCount = providers.size() > 1 && stages < providers.size() ? providers.size() : stages;
        return LocalDeployment.load(model, providers, BackendOptions.withThreads(threads), stageCount, context);
    }

    /** The chosen backend, checked to be able to run here; refuses a list. */
    BackendProvider provider() {
        List<BackendProvider> providers = providers();
        if (providers.size() != 1) {
            throw new BrtException("this command runs one backend; got --backend " + backend);
        }
        return providers.getFirst();
    }

    /** The backends of --backend (one id, or a comma-separated list), each checked to be able to run here. */
    List<BackendProvider> providers() {
        List<BackendProvider> providers = new java.util.ArrayList<>();
        for (String id : backend.split(",")) {
            BackendProvider provider = Backends.find(id.trim());
            ProbeResult probe = provider.probe();
            if (!probe.available()) {
                throw new BrtException("backend '%s' cannot run here: %s".formatted(id.trim(), probe.detail()));
            }
            providers.add(provider);
        }
        return providers;
    }

    /** A GGUF file or a Hugging Face directory. */
    static Model open(Path path) {
        return dev.baremetalrt.core.model.Models.open(path);
    }

    /**
     * The synthetic model of this shape and type under {@code BRT_HOME/models}, generated on first use (seed 42),
     * for the commands that need a model when none is given.
     */
    static Path synthetic(String shape, String type, java.io.PrintWriter err) {
        ModelShape s = ModelShape.named(shape);
        WeightType t = WeightType.parse(type);
        Path path = Settings.home().resolve("models").resolve("synthetic-%s-%s.gguf".formatted(s.name(), t.name().toLowerCase(Locale.ROOT)));
        if (!Files.exists(path)) {
            err.printf("generating a synthetic %s model (%s, %.0f M parameters) at %s ...%n", s.name(), t, s.parameters() / 1e6, path);
            err.flush();
            try {
                SyntheticModelGenerator.write(s, t, 42, path);
            } catch (UncheckedIOException e) {
                throw new UncheckedIOException("cannot write the synthetic model to " + path + ": " + e.getCause().getMessage(), e.getCause());
            }
        }
        return path;
    }
}
