package dev.baremetalrt.core.tokenizer;

import dev.baremetalrt.core.json.Json;
import dev.baremetalrt.core.json.JsonException;
import dev.baremetalrt.core.json.JsonValues;
import dev.baremetalrt.core.model.ModelException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a Hugging Face {@code tokenizer.json} (model {@code BPE}) and {@code tokenizer_config.json} from a
 * directory. Supported: normalizers Prepend/Replace/Sequence, pre-tokenizers Split (regex, Isolated),
 * ByteLevel and Metaspace, decoders for both flavours; added tokens; BOS/EOS and {@code add_bos_token} from
 * the config (else from the post-processor). Anything else is refused with the file and the part named.
 */
public final class HfTokenizers {
    /** Llama 3's pre-tokenizer regex (llama.cpp's {@code llama-bpe}). */
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** GPT-2's pre-tokenizer regex, used by ByteLevel with {@code use_regex}. */
    static final String GPT2_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private HfTokenizers() {}

    /** Whether the directory holds a tokenizer.json. */
    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve("tokenizer.json"));
    }

    public static BpeTokenizer load(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        String what = file.toString();
        Map<String, Object> root = readObject(file);
        Map<String, Object> config = Files.isRegularFile(dir.resolve("tokenizer_config.json"))
                ? readObject(dir.resolve("tokenizer_config.json")) : Map.of();
        try {
            return build(root, config, what);
        } catch (JsonException | ClassCastException | IllegalArgumentException e) {
            throw new ModelException("tokenizer %s: %s".formatted(what, e.getMessage()));
        }
    }

    static Map<String, Object> readObject(Path file) {
        try {
            return Json.parseObject(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new ModelException("cannot read %s: %s".formatted(file, e.getMessage()));
        } catch (JsonException e) {
            throw new ModelException("%s: %s".formatted(file, e.getMessage()));
        }
    }

    private static BpeTokenizer build(Map<String, Object> root, Map<String, Object> config, String what) {
        Map<String, Object> model = JsonValues.optObject(root, "model", what).orElseThrow(() -> new JsonException("no 'model' section"));
        String type = JsonValues.optString(model, "type", what).orElse("BPE");
        if (!type.equals("BPE")) {
            throw new JsonException("model type '%s' is not supported (only BPE)".formatted(type));
        }
        Map<String, Object> vocab = JsonValues.optObject(model, "vocab", what).orElseThrow(() -> new JsonException("model has no vocab"));
        List<Object> added = JsonValues.optList(root, "added_tokens", what).orElse(List.of());
        int size = 0;
        for (Object v : vocab.values()) {
            if (!(v instanceof Long id) || id < 0 || id > 10_000_000) {
                throw new JsonException("vocab ids must be integers in [0, 10000000]");
            }
            size = Math.max(size, (int) (long) id + 1);
        }
        for (Object a : added) {
            size = Math.max(size, (int) JsonValues.integer(JsonValues.asObject(a, "an added token"), "id", 0, 10_000_000, what) + 1);
        }
        String[] tokens = new String[size];
        boolean[] special = new boolean[size];
        vocab.forEach((text, id) -> tokens[(int) (long) (Long) id] = text);
        for (Object a : added) {
            Map<String, Object> t = JsonValues.asObject(a, "an added token");
            int id = (int) JsonValues.integer(t, "id", 0, 10_000_000, what);
            tokens[id] = JsonValues.string(t, "content", what);
            special[id] = JsonValues.optBoolean(t, "special", what).orElse(false);
        }
        List<String[]> merges = new ArrayList<>();
        for (Object m : JsonValues.optList(model, "merges", what).orElse(List.of())) {
            if (m instanceof String s) {
                int at = s.indexOf(' ', 1);
                if (at < 0) {
                    throw new JsonException("merge '%s' is not two tokens separated by a space".formatted(s));
                }
                merges.add(new String[] {s.substring(0, at), s.substring(at + 1)});
            } else if (m instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String a && pair.get(1) instanceof String b) {
                merges.add(new String[] {a, b});
            } else {
                throw new JsonException("a merge must be \"a b\" or [\"a\", \"b\"]");
            }
        }
        boolean ignoreMerges = JsonValues.optBoolean(model, "ignore_merges", what).orElse(false);
        int unk = JsonValues.optString(model, "unk_token", what).map(u -> indexOf(tokens, u)).orElse(-1);

        // Flavour: byte-level when a ByteLevel pre-tokenizer or decoder is present.
        Map<String, Object> pre = JsonValues.optObject(root, "pre_tokenizer", what).orElse(null);
        Map<String, Object> decoder = JsonValues.optObject(root, "decoder", what).orElse(null);
        List<Map<String, Object>> preSteps = steps(pre, "pretokenizers", what);
        boolean byteLevel = preSteps.stream().anyMatch(s -> "ByteLevel".equals(s.get("type")))
                || steps(decoder, "decoders", what).stream().anyMatch(s -> "ByteLevel".equals(s.get("type")));
        Pattern split = null;
        String prefix = null;
        if (byteLevel) {
            for (Map<String, Object> step : preSteps) {
                String stepType = JsonValues.string(step, "type", what);
                switch (stepType) {
                    case "Split" -> {
                        Map<String, Object> pattern = JsonValues.optObject(step, "pattern", what).orElseThrow(() -> new JsonException("Split has no pattern"));
                        String behavior = JsonValues.optString(step, "behavior", what).orElse("Isolated");
                        if (!behavior.equals("Isolated") || JsonValues.optBoolean(step, "invert", what).orElse(false)) {
                            throw new JsonException("Split behavior '%s' (invert) is not supported; only Isolated".formatted(behavior));
                        }
                        split = compile(JsonValues.optString(pattern, "Regex", what)
                                .orElseGet(() -> Pattern.quote(JsonValues.string(pattern, "String", what))));
                    }
                    case "ByteLevel" -> {
                        if (JsonValues.optBoolean(step, "use_regex", what).orElse(true) && split == null) {
                            split = compile(GPT2_SPLIT);
                        }
                        if (JsonValues.optBoolean(step, "add_prefix_space", what).orElse(false)) {
                            throw new JsonException("ByteLevel add_prefix_space is not supported yet");
                        }
                    }
                    default -> throw new JsonException("pre-tokenizer '%s' is not supported with byte-level BPE".formatted(stepType));
                }
            }
        } else {
            prefix = sentencePiecePrefix(root, preSteps, what);
        }
        int bos = specialId(config, "bos_token", tokens).orElse(indexOf(tokens, byteLevel ? "<|begin_of_text|>" : "<s>"));
        int eos = specialId(config, "eos_token", tokens).orElse(indexOf(tokens, byteLevel ? "<|end_of_text|>" : "</s>"));
        boolean addBos = JsonValues.optBoolean(config, "add_bos_token", "tokenizer_config.json")
                .orElseGet(() -> postProcessorAddsBos(root, what));
        for (int id : new int[] {bos, eos}) {
            if (id >= 0 && !byteLevel && tokens[id] != null && tokens[id].startsWith("<") && tokens[id].endsWith(">")) {
                special[id] = true;
            }
        }
        if (unk >= 0 && !byteLevel) {
            special[unk] = false; // decodes as its text, like SentencePiece's " ⁇ "
        }
        return new BpeTokenizer(byteLevel ? BpeTokenizer.Mode.BYTE_LEVEL : BpeTokenizer.Mode.SENTENCEPIECE, tokens, merges, special,
                split, prefix, ignoreMerges, unk, bos, eos, addBos);
    }

    /** The prefix a SentencePiece-style tokenizer.json puts in front: from a Prepend normalizer or a Metaspace pre-tokenizer. */
    private static String sentencePiecePrefix(Map<String, Object> root, List<Map<String, Object>> preSteps, String what) {
        String prefix = null;
        for (Map<String, Object> step : steps(JsonValues.optObject(root, "normalizer", what).orElse(null), "normalizers", what)) {
            String type = JsonValues.string(step, "type", what);
            switch (type) {
                case "Prepend" -> prefix = JsonValues.string(step, "prepend", what);
                case "Replace" -> {
                    Map<String, Object> pattern = JsonValues.optObject(step, "pattern", what).orElse(Map.of());
                    String from = JsonValues.optString(pattern, "String", what).orElse(null);
                    if (!" ".equals(from) || !"\u2581".equals(JsonValues.optString(step, "content", what).orElse(null))) {
                        throw new JsonException("normalizer Replace is only supported for ' ' -> U+2581");
                    }
                }
                case "NFC", "NFKC" -> { } // no effect on the text Llama tokenizers see in practice
                default -> throw new JsonException("normalizer '%s' is not supported".formatted(type));
            }
        }
        for (Map<String, Object> step : preSteps) {
            String type = JsonValues.string(step, "type", what);
            if (type.equals("Metaspace")) {
                String scheme = JsonValues.optString(step, "prepend_scheme", what).orElse("always");
                prefix = scheme.equals("never") ? null : JsonValues.optString(step, "replacement", what).orElse("\u2581");
            } else {
                throw new JsonException("pre-tokenizer '%s' is not supported with SentencePiece-style BPE".formatted(type));
            }
        }
        return prefix;
    }

    private static List<Map<String, Object>> steps(Map<String, Object> node, String listKey, String what) {
        if (node == null) {
            return List.of();
        }
        if ("Sequence".equals(node.get("type"))) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Object o : JsonValues.optList(node, listKey, what).orElse(List.of())) {
                out.add(JsonValues.asObject(o, "a " + listKey + " entry"));
            }
            return out;
        }
        return List.of(node);
    }

    static Pattern compile(String regex) {
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new JsonException("pre-tokenizer regex does not compile: " + e.getDescription());
        }
    }

    private static boolean postProcessorAddsBos(Map<String, Object> root, String what) {
        Map<String, Object> post = JsonValues.optObject(root, "post_processor", what).orElse(null);
        return post != null && "TemplateProcessing".equals(post.get("type"))
                && JsonValues.optList(post, "single", what).orElse(List.of()).stream()
                .anyMatch(o -> o instanceof Map<?, ?> m && m.containsKey("SpecialToken"));
    }

    private static Optional<Integer> specialId(Map<String, Object> config, String key, String[] tokens) {
        Object v = config.get(key);
        String text = v instanceof String s ? s : v instanceof Map<?, ?> m && m.get("content") instanceof String c ? c : null;
        if (text == null) {
            return Optional.empty();
        }
        int id = indexOf(tokens, text);
        return id < 0 ? Optional.empty() : Optional.of(id);
    }

    private static int indexOf(String[] tokens, String text) {
        for (int i = 0; i < tokens.length; i++) {
            if (text.equals(tokens[i])) {
                return i;
            }
        }
        return -1;
    }
}
