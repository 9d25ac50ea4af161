package dev.baremetalrt.core.chat;

import dev.baremetalrt.core.json.Json;
import dev.baremetalrt.core.json.JsonException;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.model.ModelException;
import dev.baremetalrt.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds a model's chat template: GGUF {@code tokenizer.chat_template}, or {@code chat_template} in a
 * directory's {@code tokenizer_config.json} (a string, or a list of named templates of which
 * {@code default} is used). A model without one gets {@link #FALLBACK}: the messages' contents separated
 * by blank lines, with no role markers, after BOS. That suits base models (they continue the text) and
 * says nothing a chat model was not trained on; give such a model its real template when you have it.
 */
public final class ChatTemplates {
    /** Used when the model has no template. */
    public static final String FALLBACK = "{{ bos_token }}{% for message in messages %}{% if not loop.first %}{{ '\\n\\n' }}{% endif %}"
            + "{{ message['content'] }}{% endfor %}";

    private ChatTemplates() {}

    /** The template text the model carries, if any. */
    public static Optional<String> source(Model model) {
        if (model instanceof LlamaModel gguf) {
            return gguf.gguf().string("tokenizer.chat_template");
        }
        return fromTokenizerConfig(model.path());
    }

    /** {@code chat_template} of {@code dir/tokenizer_config.json}, if the file and the key exist. */
    public static Optional<String> fromTokenizerConfig(Path dir) {
        Path file = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            Map<String, Object> config = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8), file.toString());
            Object template = config.get("chat_template");
            if (template instanceof String s) {
                return Optional.of(s);
            }
            if (template instanceof List<?> named) {
                for (Object o : named) {
                    if (o instanceof Map<?, ?> m && "default".equals(m.get("name")) && m.get("template") instanceof String s) {
                        return Optional.of(s);
                    }
                }
            }
            return Optional.empty();
        } catch (IOException | JsonException e) {
            throw new ModelException("cannot read the chat template from %s: %s".formatted(file, e.getMessage()));
        }
    }

    /** The model's template, or {@link #FALLBACK}, with the tokenizer's BOS and EOS texts. */
    public static ChatTemplate forModel(Model model) {
        Tokenizer t = model.tokenizer();
        String bos = t.bosId() >= 0 ? t.tokenText(t.bosId()) : "";
        String eos = t.eosId() >= 0 ? t.tokenText(t.eosId()) : "";
        return new ChatTemplate(source(model).orElse(FALLBACK), bos, eos);
    }

    /**
     * Ids of a rendered conversation: special-token text becomes those tokens, and BOS is added as the
     * tokenizer's metadata says unless the template already wrote it (most do, via {@code bos_token}).
     */
    public static int[] encode(Tokenizer tokenizer, String rendered) {
        boolean templateWroteBos = tokenizer.bosId() >= 0 && rendered.startsWith(tokenizer.tokenText(tokenizer.bosId()));
        return tokenizer.encode(rendered, tokenizer.addBosByDefault() && !templateWroteBos, true);
    }

    /** Whether {@link #forModel} would use the fallback. */
    public static boolean usesFallback(Model model) {
        return source(model).isEmpty();
    }
}
