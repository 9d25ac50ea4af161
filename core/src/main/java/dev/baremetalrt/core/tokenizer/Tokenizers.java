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
        if (model.equals("gpt2")) {
            return byteLevelFromGguf(gguf);
        }
        if (!model.equals("llama")) {
            throw new ModelException("GGUF file %s: tokenizer model '%s' is not supported yet (supported: llama, gpt2)".formatted(gguf.path(), model));
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

    /**
     * Byte-level BPE from GGUF ({@code tokenizer.ggml.model=gpt2}): tokens, merges and the pre-tokenizer
     * named by {@code tokenizer.ggml.pre}, run by the same {@link BpeTokenizer} as tokenizer.json.
     */
    private static Tokenizer byteLevelFromGguf(GgufFile gguf) {
        String[] tokens = gguf.array("tokenizer.ggml.tokens", String[].class)
                .orElseThrow(() -> new ModelException("GGUF file %s has no tokenizer.ggml.tokens".formatted(gguf.path())));
        String[] mergeText = gguf.array("tokenizer.ggml.merges", String[].class)
                .orElseThrow(() -> new ModelException("GGUF file %s: byte-level BPE without tokenizer.ggml.merges".formatted(gguf.path())));
        int[] types = gguf.array("tokenizer.ggml.token_type", int[].class).orElse(new int[tokens.length]);
        String pre = gguf.string("tokenizer.ggml.pre").orElse("default");
        String regex = switch (pre) {
            case "llama-bpe", "llama3", "llama-v3" -> HfTokenizers.LLAMA3_SPLIT;
            case "default", "gpt2", "gpt-2" -> HfTokenizers.GPT2_SPLIT;
            default -> throw new ModelException("GGUF file %s: pre-tokenizer '%s' is not supported yet (supported: llama-bpe, gpt2/default)"
                    .formatted(gguf.path(), pre));
        };
        java.util.List<String[]> merges = new java.util.ArrayList<>(mergeText.length);
        for (String m : mergeText) {
            int at = m.indexOf(' ', 1);
            if (at < 0) {
                throw new ModelException("GGUF file %s: merge '%s' is not two tokens separated by a space".formatted(gguf.path(), m));
            }
            merges.add(new String[] {m.substring(0, at), m.substring(at + 1)});
        }
        boolean[] special = new boolean[tokens.length];
        for (int i = 0; i < tokens.length && i < types.length; i++) {
            special[i] = types[i] == SentencePieceTokenizer.TYPE_CONTROL;
        }
        return new BpeTokenizer(BpeTokenizer.Mode.BYTE_LEVEL, tokens, merges, special, HfTokenizers.compile(regex), null,
                pre.startsWith("llama"), -1, id(gguf, "tokenizer.ggml.bos_token_id", -1, tokens.length),
                id(gguf, "tokenizer.ggml.eos_token_id", -1, tokens.length), gguf.bool("tokenizer.ggml.add_bos_token").orElse(true));
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
