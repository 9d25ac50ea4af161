package dev.baremetalrt.cli;

import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.model.LlamaModel;
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

    @Override
    public Integer call() {
        boolean synthetic = model == null;
        Path path = synthetic ? syntheticModel() : model;
        ModelOptions options = new ModelOptions();
        options.stages = stages;
        options.backend = backend;
        options.threads = threads;
        options.context = 4096;
        try (LlamaModel m = ModelOptions.open(path); LocalDeployment local = options.deploy(m)) {
            System.err.printf("BareMetalRT demo: %s (%s, %s)%n", m.modelId(), m.config().summary(), m.dominantType());
            System.err.println(local.plan().describe());
            if (synthetic) {
                System.err.println("(random weights: the words are nonsense; run 'brt demo --model FILE.gguf' for a real model)");
            }
            System.err.println();
            GenerateCommand.run(m, local, prompt, maxTokens, sampling.toParams(), false, false);
        }
        return 0;
    }

    private Path syntheticModel() {
        ModelShape s = ModelShape.named(shape);
        WeightType t = WeightType.parse(type);
        Path path = Settings.home().resolve("models").resolve("synthetic-%s-%s.gguf".formatted(s.name(), t.name().toLowerCase(Locale.ROOT)));
        if (!Files.exists(path)) {
            System.err.printf("generating a synthetic %s model (%s, %.0f M parameters) at %s ...%n", s.name(), t, s.parameters() / 1e6, path);
            SyntheticModelGenerator.write(s, t, 42, path);
        }
        return path;
    }
}
