package dev.baremetalrt.cli;

import dev.baremetalrt.core.tokenizer.Tokenizer;
import dev.baremetalrt.core.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code brt tokenize}: print token ids. Works on vocab-only GGUF files. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of TEXT, space-separated. Put -- before text that starts with '-'.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "GGUF file (tensors not needed) or a directory with tokenizer.json.")
    Path model;

    @Option(names = "--no-bos", description = "Do not add BOS, whatever the model's metadata says.")
    boolean noBos;

    @Option(names = "--special", description = "Parse special-token text such as <|eot_id|> or </s> into those tokens (as a rendered chat template needs).")
    boolean special;

    @Option(names = "--pieces", description = "Print each id with its vocabulary entry, one per line.")
    boolean pieces;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "1", paramLabel = "TEXT", description = "Text to tokenize (may be empty, hold newlines or start with spaces).")
    String text;

    @Override
    public Integer call() {
        Tokenizer tokenizer = Tokenizers.open(model);
        int[] ids = tokenizer.encode(text, !noBos && tokenizer.addBosByDefault(), special);
        java.io.PrintWriter out = spec.commandLine().getOut();
        if (pieces) {
            for (int id : ids) {
                out.println(id + "\t" + tokenizer.tokenText(id));
            }
        } else {
            out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        }
        out.flush();
        return 0;
    }
}
