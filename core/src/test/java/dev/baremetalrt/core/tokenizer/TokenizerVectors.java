package dev.baremetalrt.core.tokenizer;

import dev.baremetalrt.core.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** llama.cpp's tokenizer test vectors ({@code .inp}/{@code .out}), read in place from ../shared/models. */
public record TokenizerVectors(List<String> inputs, List<int[]> outputs) {
    public static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    public static TokenizerVectors load(String base) {
        try {
            String inp = Files.readString(TestModels.file(base + ".inp"), StandardCharsets.UTF_8);
            List<String> inputs = new ArrayList<>(Arrays.asList(inp.split(SEPARATOR, -1)));
            inputs.removeLast(); // the file ends with the separator
            List<int[]> outputs = new ArrayList<>();
            for (String line : Files.readAllLines(TestModels.file(base + ".out"), StandardCharsets.UTF_8)) {
                String t = line.trim();
                outputs.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split("\\s+")).mapToInt(Integer::parseInt).toArray());
            }
            if (inputs.size() != outputs.size()) {
                throw new IllegalStateException("%d inputs but %d outputs".formatted(inputs.size(), outputs.size()));
            }
            return new TokenizerVectors(inputs, outputs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
