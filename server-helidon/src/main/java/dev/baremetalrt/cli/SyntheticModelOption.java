package dev.baremetalrt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model}, or else the synthetic model of {@code --shape} and {@code --type}: for commands that run without a model file. */
final class SyntheticModelOption {
    @Option(names = "--model", description = "Model: a GGUF file or a Hugging Face directory. Default: a synthetic model of --shape and --type.")
    Path model;

    @Option(names = "--shape", description = "Shape of the synthetic model (default: ${DEFAULT-VALUE}).", defaultValue = "small")
    String shape;

    @Option(names = "--type", description = "Weight type of the synthetic model (default: ${DEFAULT-VALUE}).", defaultValue = "Q8_0")
    String type;

    boolean synthetic() {
        return model == null;
    }

    /** The model to open: {@code --model}, or the synthetic one, generated on first use. */
    Path path(PrintWriter err) {
        return model != null ? model : ModelOptions.synthetic(shape, type, err);
    }
}
