package dev.baremetalrt.core.tokenizer;

import dev.baremetalrt.core.gguf.GgufFile;
import dev.baremetalrt.core.model.ModelException;

/** Builds the tokenizer a model file describes. */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * The tokenizer of a model path: a GGUF file (vocab-only files work), or a directory with a Hugging Face
     * {@code tokenizer.json} (a directory holding only tokenizer files is enough).
     */
    public static Tokenizer open(java.nio.file.Path path) {
        if (java.nio.file.Files.isDirectory(path)) {
            if (!HfTokenizers.present(path)) {
                throw new ModelException("directory %s has no tokenizer.json".formatted(path));
            }
            return HfTokenizers.load(path);
        }
        try (GgufFile gguf = GgufFile.open(path)) {
            return fromGguf(gguf);
        }
    }

    /**
     * The tokenizer from GGUF metadata ({@code tokenizer.ggml.*}). Works on vocab-only files.
     *
     * @throws ModelException when the file has no vocabulary or uses a tokenizer model not supported yet
     */
    public static Tokenizer fromGguf(GgufFile gguf) {
        String model = gguf.string("tokenizer.ggml.model")
                .orElseThrow(() -> new ModelException("GGUF file %s has no tokenizer (tokenizer.ggml.model is missing)".formatted(gguf.path())));
        if (!model.equals("llama")) {
            throw new ModelException("GGUF file %s: tokenizer model '%s' is not supported yet (supported: llama)".formatted(gguf.path(), model));
        }
        String[] tokens = gguf.array("tokenizer.ggml.tokens", String[].class)
                .orElseThrow(() -> new ModelException("GGUF file %s has no tokenizer.ggml.tokens".formatted(gguf.path())));
        float[] scores = gguf.array("tokenizer.ggml.scores", float[].class).orElse(null);
        int[] types = gguf.array("tokenizer.ggml.token_type", int[].class).orElse(null);
        int bos = id(gguf, "tokenizer.ggml.bos_token_id", 1, tokens.length);
        int eos = id(gguf, "tokenizer.ggml.eos_token_id", 2, tokens.length);
        int unk = id(gguf, "tokenizer.ggml.unknown_token_id", 0, tokens.length);
        boolean addBos = gguf.bool("tokenizer.ggml.add_bos_token").orElse(true);
        boolean addSpace = gguf.bool("tokenizer.ggml.add_space_prefix").orElse(true);
        try {
            return new SentencePieceTokenizer(tokens, scores, types, bos, eos, unk, addBos, addSpace);
        } catch (IllegalArgumentException e) {
            throw new ModelException("GGUF file %s: invalid vocabulary: %s".formatted(gguf.path(), e.getMessage()));
        }
    }

    /** A token id from metadata; absent or out of range (e.g. uint32 -1 meaning "none") gives the default or -1. */
    private static int id(GgufFile gguf, String key, int fallback, int vocab) {
        Object v = gguf.metadata().get(key);
        if (v instanceof Number n) {
            long id = n.longValue();
            return id >= 0 && id < vocab ? (int) id : -1;
        }
        return fallback < vocab ? fallback : -1;
    }
}
