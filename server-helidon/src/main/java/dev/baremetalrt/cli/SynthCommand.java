package dev.baremetalrt.cli;

import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code brt synth}: write a random-weight GGUF model. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write a GGUF model of a named Llama shape with random weights (for tests and benchmarks).",
                "Shapes: tiny, small, tinyllama-1.1b, llama-70b. Types: F32, F16, BF16, Q8_0, Q4_0."})
final class SynthCommand implements Callable<Integer> {
    @Option(names = "--shape", required = true, description = "Shape name.")
    String shape;

    @Option(names = "--layers", description = "Override the shape's layer count.")
    Integer layers;

    @Option(names = "--type", required = true, description = "Weight type of the matrices (norms stay F32).")
    String type;

    @Option(names = "--out", required = true, description = "Output file.")
    Path out;

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).", defaultValue = "42")
    long seed;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ModelShape s = ModelShape.named(shape);
        if (layers != null) {
            s = s.withLayers(layers);
        }
        WeightType t = WeightType.parse(type);
        long start = System.nanoTime();
        SyntheticModelGenerator.write(s, t, seed, out);
        spec.commandLine().getErr().printf("wrote %s: %s, %d layers, %s, %.2f GB, %.1f M parameters, in %.1f s%n", out, s.name(), s.layers(), t,
                Files.size(out) / 1e9, s.parameters() / 1e6, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
