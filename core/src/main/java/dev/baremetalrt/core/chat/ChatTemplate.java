package dev.baremetalrt.core.chat;

import static java.util.Objects.requireNonNull;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.baremetalrt.core.json.JsonWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template, rendered as transformers' {@code apply_chat_template} renders it. Thread-safe:
 * each render gets its own interpreter.
 */
public final class ChatTemplate {
    /** Bounds a hostile template: no runaway output or loops over huge ranges. */
    private static final long MAX_OUTPUT_CHARS = 4L << 20;

    private final String source;
    private final String compatibleSource;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    /**
     * @param source   the Jinja template text
     * @param bosToken text of the BOS token ({@code bos_token} in the template), may be empty
     * @param eosToken text of the EOS token, may be empty
     */
    public ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = requireNonNull(source, "source is null");
        this.compatibleSource = pythonPrecedence(source);
        this.bosToken = requireNonNull(bosToken, "bosToken is null");
        this.eosToken = requireNonNull(eosToken, "eosToken is null");
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build())
                .build());
        var globals = jinjava.getGlobalContext();
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        globals.registerFilter(new ToJsonFilter());
        globals.registerExpTest(new IterableTest());
    }

    /** Renders the conversation; {@code tools} (OpenAI function specs) may be empty. */
    public String render(List<ChatMessage> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
        return render(messages, tools, addGenerationPrompt, Map.of());
    }

    /** As {@link #render(List, List, boolean)}, with extra template variables (e.g. {@code date_string}). */
    public String render(List<ChatMessage> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt, Map<String, Object> extra) {
        Map<String, Object> context = new HashMap<>(extra);
        List<Map<String, Object>> values = new ArrayList<>();
        for (ChatMessage m : messages) {
            values.add(m.toTemplateValue());
        }
        context.put("messages", values);
        if (!tools.isEmpty()) {
            context.put("tools", tools);
        }
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RenderResult result;
        try {
            result = jinjava.renderForResult(compatibleSource, context);
        } catch (TemplateFunctions.RaisedException e) {
            throw new ChatTemplateException(e.getMessage());
        } catch (RuntimeException e) {
            throw new ChatTemplateException("chat template failed: " + e.getMessage());
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException(describe(error));
            }
        }
        return result.getOutput();
    }

    /**
     * In Python's Jinja {@code not x is defined} means {@code not (x is defined)}; Jinjava (with natural
     * operator precedence, which every other construct in these templates needs) binds {@code not} to
     * {@code x} first. Templates use the form constantly, so it is parenthesised before parsing.
     */
    static String pythonPrecedence(String template) {
        return NOT_IS_TEST.matcher(template).replaceAll("not ($1 is $2$3)");
    }

    private static final java.util.regex.Pattern NOT_IS_TEST = java.util.regex.Pattern.compile(
            "\\bnot\\s+([A-Za-z_]\\w*(?:\\.\\w+|\\[[^\\]\\[]*\\])*)\\s+is\\s+(not\\s+)?([A-Za-z_]\\w*)");

    private static String describe(TemplateError error) {
        Throwable cause = error.getException();
        while (cause != null) {
            if (cause instanceof TemplateFunctions.RaisedException raised) {
                return raised.getMessage();
            }
            cause = cause.getCause();
        }
        return "chat template error at line %d: %s".formatted(error.getLineno(), error.getMessage());
    }

    /** Python's {@code is iterable}: strings are iterable too (Llama 3.1 relies on it for tool results). */
    private static final class IterableTest implements com.hubspot.jinjava.lib.exptest.ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof Iterable<?> || var instanceof Map<?, ?> || (var != null && var.getClass().isArray());
        }
    }

    /** {@code tojson} / {@code tojson(indent=N)} as Python's {@code json.dumps}. */
    private static final class ToJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return JsonWriter.write(var, 0);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            return JsonWriter.write(var, indent instanceof Number n ? n.intValue() : indent == null ? 0 : Integer.parseInt(indent.toString()));
        }
    }
}
