package dev.baremetalrt.server;

import dev.baremetalrt.core.engine.TokenLogprobs;
import dev.baremetalrt.core.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of one response, chat ({@code chat.completion}, {@code chat.completion.chunk}) or legacy
 * completion ({@code text_completion}), with one id and creation time for all of its chunks.
 */
final class Chunks {
    private final boolean chat;
    private final String id;
    private final long created = System.currentTimeMillis() / 1000;
    private final String model;
    private final Tokenizer tokenizer;
    private int textOffset;

    Chunks(boolean chat, String model, Tokenizer tokenizer) {
        this.chat = chat;
        this.id = Completions.newId(chat);
        this.model = model;
        this.tokenizer = tokenizer;
    }

    boolean chat() {
        return chat;
    }

    /** The first chat chunk: the assistant role, no content yet. */
    Map<String, Object> first() {
        Map<String, Object> delta = new LinkedHashMap<>();
        delta.put("role", "assistant");
        delta.put("content", "");
        return envelope(List.of(choice(delta, null, null)), false);
    }

    /** A streamed piece of text (empty in the last chunk, which carries the finish reason). */
    Map<String, Object> delta(String text, List<TokenLogprobs> logprobs, String finishReason) {
        Map<String, Object> c;
        if (chat) {
            c = choice(finishReason == null ? Map.of("content", text) : Map.of(), logprobs, finishReason);
        } else {
            c = completionChoice(text, logprobs, finishReason);
        }
        return envelope(List.of(c), false);
    }

    /** The usage chunk of {@code stream_options.include_usage}: no choices. */
    Map<String, Object> usageOnly(Map<String, Object> usage) {
        Map<String, Object> e = envelope(List.of(), false);
        e.put("usage", usage);
        return e;
    }

    /** A whole, non-streamed response. */
    Map<String, Object> whole(String text, List<TokenLogprobs> logprobs, String finishReason, Map<String, Object> usage) {
        Map<String, Object> c;
        if (chat) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", text);
            message.put("refusal", null);
            c = choice(null, logprobs, finishReason);
            c.remove("delta");
            c.put("message", message);
        } else {
            c = completionChoice(text, logprobs, finishReason);
        }
        Map<String, Object> e = envelope(List.of(c), true);
        e.put("usage", usage);
        return e;
    }

    private Map<String, Object> envelope(List<Object> choices, boolean whole) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("id", id);
        e.put("object", chat ? (whole ? "chat.completion" : "chat.completion.chunk") : "text_completion");
        e.put("created", created);
        e.put("model", model);
        e.put("system_fingerprint", "baremetalrt");
        e.put("choices", choices);
        return e;
    }

    private Map<String, Object> choice(Map<String, Object> delta, List<TokenLogprobs> logprobs, String finishReason) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("index", 0);
        c.put("delta", delta);
        c.put("logprobs", logprobs == null ? null : Map.of("content", logprobs.stream().map(this::chatLogprob).toList()));
        c.put("finish_reason", finishReason);
        return c;
    }

    private Map<String, Object> chatLogprob(TokenLogprobs lp) {
        Map<String, Object> m = tokenEntry(lp.token(), lp.logprob());
        List<Object> top = new ArrayList<>();
        for (int i = 0; i < lp.topTokens().length; i++) {
            top.add(tokenEntry(lp.topTokens()[i], lp.topLogprobs()[i]));
        }
        m.put("top_logprobs", top);
        return m;
    }

    private Map<String, Object> tokenEntry(int token, float logprob) {
        byte[] bytes = tokenizer.pieceBytes(token);
        List<Integer> unsigned = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
            unsigned.add(b & 0xFF);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", new String(bytes, StandardCharsets.UTF_8));
        m.put("logprob", (double) logprob);
        m.put("bytes", unsigned);
        return m;
    }

    private Map<String, Object> completionChoice(String text, List<TokenLogprobs> logprobs, String finishReason) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("text", text);
        c.put("index", 0);
        if (logprobs == null) {
            c.put("logprobs", null);
        } else {
            List<Object> tokens = new ArrayList<>();
            List<Object> tokenLogprobs = new ArrayList<>();
            List<Object> top = new ArrayList<>();
            List<Object> offsets = new ArrayList<>();
            for (TokenLogprobs lp : logprobs) {
                String t = new String(tokenizer.pieceBytes(lp.token()), StandardCharsets.UTF_8);
                tokens.add(t);
                tokenLogprobs.add((double) lp.logprob());
                Map<String, Object> alternatives = new LinkedHashMap<>();
                for (int i = 0; i < lp.topTokens().length; i++) {
                    alternatives.put(new String(tokenizer.pieceBytes(lp.topTokens()[i]), StandardCharsets.UTF_8), (double) lp.topLogprobs()[i]);
                }
                top.add(alternatives);
                offsets.add(textOffset);
                textOffset += t.length();
            }
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("tokens", tokens);
            l.put("token_logprobs", tokenLogprobs);
            l.put("top_logprobs", top);
            l.put("text_offset", offsets);
            c.put("logprobs", l);
        }
        c.put("finish_reason", finishReason);
        return c;
    }
}
