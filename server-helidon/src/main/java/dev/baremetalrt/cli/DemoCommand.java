package dev.baremetalrt.cli;

import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.Settings;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code brt demo}: the main job on an embedded default, from a fresh clone. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Load a model split across in-process stages and stream a completion.",
                "Without --model, generates a small random-weight model once (under BRT_HOME, default ~/.baremetalrt)."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Model file (GGUF). Default: a synthetic model.")
    Path model;

    @Option(names = "--shape", description = "Shape of the synthetic model (default: ${DEFAULT-VALUE}).", defaultValue = "small")
    String shape;

    @Option(names = "--type", description = "Weight type of the synthetic model (default: ${DEFAULT-VALUE}).", defaultValue = "Q8_0")
    String type;

    @Option(names = "--prompt", description = "Prompt (default: ${DEFAULT-VALUE}).", defaultValue = "Once upon a time")
    String prompt;

    @Option(names = "--max-tokens", description = "Tokens to generate (default: ${DEFAULT-VALUE}).", defaultValue = "64")
    int maxTokens;

    @Option(names = "--stages", description = "In-process stages (default: ${DEFAULT-VALUE}).", defaultValue = "2")
    int stages;

    @Option(names = "--backend", description = "Backend id (default: ${DEFAULT-VALUE}).", defaultValue = "cpu")
    String backend;

    @Option(names = "--threads", description = "Worker threads (default: all processors).", defaultValue = "0")
    int threads;

    @Mixin
    GenerateCommand.SamplingOptions sampling;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        boolean synthetic = model == null;
        Path path = synthetic ? syntheticModel(spec.commandLine().getErr()) : model;
        ModelOptions options = new ModelOptions();
        options.stages = stages;
        options.backend = backend;
        options.threads = threads;
        options.context = 4096;
        java.io.PrintWriter err = spec.commandLine().getErr();
        try (Model m = ModelOptions.open(path); LocalDeployment local = options.deploy(m)) {
            err.printf("BareMetalRT demo: %s (%s, %s)%n", m.modelId(), m.config().summary(), m.dominantType());
            err.println(local.plan().describe());
            if (synthetic) {
                err.println("(random weights: the words are nonsense; run 'brt demo --model FILE.gguf' for a real model)");
            }
            err.println();
            GenerateCommand.run(m, local, prompt, maxTokens, sampling.toParams(), false, false, spec.commandLine().getOut(), err);
        }
        return 0;
    }

    private Path syntheticModel(java.io.PrintWriter err) {
        ModelShape s = ModelShape.named(shape);
        WeightType t = WeightType.parse(type);
        Path path = Settings.home().resolve("models").resolve("synthetic-%s-%s.gguf".formatted(s.name(), t.name().toLowerCase(Locale.ROOT)));
        if (!Files.exists(path)) {
            err.printf("generating a synthetic %s model (%s, %.0f M parameters) at %s ...%n", s.name(), t, s.parameters() / 1e6, path);
            err.flush();
            SyntheticModelGenerator.write(s, t, 42, path);
        }
        return path;
    }
}
