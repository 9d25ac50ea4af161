package dev.baremetalrt.cli;

import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.core.synth.SyntheticHfModelGenerator;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code brt synth}: write a random-weight model, as a GGUF file or a Hugging Face directory. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write a model of a named Llama shape with random weights (for tests and benchmarks):",
                "a GGUF file, or with --format hf a Hugging Face directory (config.json, safetensors, tokenizer.json).",
                "The same shape and seed give the same model in both formats.",
                "Shapes: tiny, small, tinyllama-1.1b, llama-70b.",
                "Types: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, Q8_K (hf: F32, F16, BF16)."})
final class SynthCommand implements Callable<Integer> {
    @Option(names = "--shape", required = true, description = "Shape name.")
    String shape;

    @Option(names = "--layers", description = "Override the shape's layer count.")
    Integer layers;

    @Option(names = "--type", required = true, description = "Weight type of the matrices (norms stay F32).")
    String type;

    @Option(names = "--out", required = true, description = "Output file (gguf) or directory (hf).")
    Path out;

    @Option(names = "--format", description = "gguf or hf (default: ${DEFAULT-VALUE}).", defaultValue = "gguf")
    String format;

    @Option(names = "--max-shard-size", description = "hf only: largest safetensors shard, e.g. 2GB or 500MB (default: 5GB, as transformers).")
    String maxShardSize;

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
        switch (format.toLowerCase(java.util.Locale.ROOT)) {
            case "gguf" -> {
                if (maxShardSize != null) {
                    throw new IllegalArgumentException("--max-shard-size applies to --format hf only");
                }
                SyntheticModelGenerator.write(s, t, seed, out);
            }
            case "hf" -> SyntheticHfModelGenerator.write(s, t, seed, out,
                    maxShardSize == null ? SyntheticHfModelGenerator.DEFAULT_MAX_SHARD_BYTES : parseSize("--max-shard-size", maxShardSize));
            default -> throw new IllegalArgumentException("unknown --format '%s' (gguf or hf)".formatted(format));
        }
        spec.commandLine().getErr().printf("wrote %s: %s, %d layers, %s, %.2f GB, %.1f M parameters, in %.1f s%n", out, s.name(), s.layers(), t,
                bytes(out) / 1e9, s.parameters() / 1e6, (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** "5GB", "500MB", "64KB" or a byte count; decimal units, as transformers' max_shard_size. */
    static long parseSize(String option, String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+)\\s*(B|KB|MB|GB)?\\s*").matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("%s '%s' is not a size like 2GB, 500MB or 1000000".formatted(option, text));
        }
        long unit = switch (m.group(2) == null ? "B" : m.group(2).toUpperCase(java.util.Locale.ROOT)) {
            case "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            case "GB" -> 1_000_000_000L;
            default -> 1L;
        };
        long size = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        if (size <= 0) {
            throw new IllegalArgumentException(option + " must be positive");
        }
        return size;
    }

    private static long bytes(Path path) throws java.io.IOException {
        if (!Files.isDirectory(path)) {
            return Files.size(path);
        }
        try (var files = Files.list(path)) {
            long sum = 0;
            for (Path p : files.toList()) {
                sum += Files.size(p);
            }
            return sum;
        }
    }
}
