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
import java.util.Locale;
import picocli.CommandLine.Option;

/** Options shared by the commands that run a model in this process. */
final class ModelOptions {
    @Option(names = "--stages", description = "Split the layers over this many in-process stages (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    int stages;

    @Option(names = "--backend", description = "Backend id (see 'brt backends'; default: ${DEFAULT-VALUE}).", defaultValue = "cpu")
    String backend;

    @Option(names = "--threads", description = "Worker threads (default: all processors).", defaultValue = "0")
    int threads;

    @Option(names = "--ctx", description = "Context capacity per session in tokens (default: the model's, at most ${DEFAULT-VALUE}).", defaultValue = "4096")
    int context;

    /** Opens the backend and loads the model split into stages. */
    LocalDeployment deploy(Model model) {
        return LocalDeployment.load(model, provider(), BackendOptions.withThreads(threads), stages, context);
    }

    /** The chosen backend, checked to be able to run here. */
    BackendProvider provider() {
        BackendProvider provider = Backends.find(backend);
        ProbeResult probe = provider.probe();
        if (!probe.available()) {
            throw new BrtException("backend '%s' cannot run here: %s".formatted(backend, probe.detail()));
        }
        return provider;
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
