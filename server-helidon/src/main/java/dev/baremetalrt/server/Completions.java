package dev.baremetalrt.server;

import dev.baremetalrt.core.chat.ChatMessage;
import dev.baremetalrt.core.chat.ChatTemplateException;
import dev.baremetalrt.core.chat.ChatTemplates;
import dev.baremetalrt.core.engine.BatchScheduler;
import dev.baremetalrt.core.engine.FinishReason;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.GenerationResult;
import dev.baremetalrt.core.engine.OverloadedException;
import dev.baremetalrt.core.engine.TokenLogprobs;
import dev.baremetalrt.core.json.JsonWriter;
import dev.baremetalrt.core.tokenizer.Tokenizer;
import dev.baremetalrt.spi.SessionException;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: validate, render and tokenize, submit
 * to the model's scheduler, then answer as one JSON object or as server-sent events
 * ({@code chat.completion.chunk} / {@code text_completion} chunks, an optional usage chunk, {@code [DONE]}).
 * Streams are written whatever {@code Accept} says. A client that goes away mid-stream cancels its
 * generation, which frees its KV cache at the scheduler's next step.
 */
final class Completions {
    private static final Logger LOG = Logger.getLogger(Completions.class.getName());

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private final Map<String, ServedModel> models;
    private final ServerMetrics metrics;

    Completions(Map<String, ServedModel> models, ServerMetrics metrics) {
        this.models = models;
        this.metrics = metrics;
    }

    ServedModel model(RequestBody body) {
        String id = body.requiredString("model");
        ServedModel m = models.get(id);
        if (m == null) {
            throw new ApiError(404, "invalid_request_error", "The model '%s' does not exist (served: %s)".formatted(id, String.join(", ", models.keySet())),
                    "model", "model_not_found");
        }
        return m;
    }

    void chat(RequestBody body, ServerResponse res) {
        ServedModel m = model(body);
        GenerationParams params = GenerationParams.parse(body, true);
        List<ChatMessage> messages = messages(body.raw("messages"));
        List<Map<String, Object>> tools = tools(body.raw("tools"));
        // Fields that would change what the answer must look like are refused rather than ignored.
        body.optObject("response_format").map(f -> f.get("type")).filter(t -> !"text".equals(t)).ifPresent(t -> {
            throw ApiError.invalid("response_format", "'response_format' of type '%s' is not supported by this server; only 'text'".formatted(t));
        });
        String rendered;
        try {
            rendered = m.chatTemplate().render(messages, tools, true);
        } catch (ChatTemplateException e) {
            throw ApiError.invalid("messages", "the model's chat template refused the conversation: " + e.getMessage());
        }
        int[] prompt = ChatTemplates.encode(m.model().tokenizer(), rendered);
        run(m, params, params.request(prompt, m.contextCapacity(), "messages"), true, res);
    }

    void completion(RequestBody body, ServerResponse res) {
        ServedModel m = model(body);
        for (String unsupported : List.of("suffix", "echo")) {
            if (body.has(unsupported) && !Boolean.FALSE.equals(body.raw(unsupported))) {
                throw ApiError.invalid(unsupported, "'%s' is not supported by this server".formatted(unsupported));
            }
        }
        body.optInteger("best_of", 1, 1);
        GenerationParams params = GenerationParams.parse(body, false);
        int[] prompt = prompt(body.raw("prompt"), m.model().tokenizer());
        run(m, params, params.request(prompt, m.contextCapacity(), "prompt"), false, res);
    }

    private static int[] prompt(Object v, Tokenizer tokenizer) {
        if (v instanceof List<?> l && l.size() == 1 && l.getFirst() instanceof String s) {
            v = s;
        }
        if (v instanceof String s) {
            return tokenizer.encode(s, tokenizer.addBosByDefault());
        }
        if (v instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(x -> x instanceof Long)) {
            int[] ids = new int[l.size()];
            for (int i = 0; i < ids.length; i++) {
                long id = (Long) l.get(i);
                if (id < 0 || id >= tokenizer.vocabSize()) {
                    throw ApiError.invalid("prompt", "token id %d is outside the vocabulary of %d".formatted(id, tokenizer.vocabSize()));
                }
                ids[i] = (int) id;
            }
            return ids;
        }
        throw ApiError.invalid("prompt", "'prompt' must be a string, a list of one string or a non-empty list of token ids");
    }

    static List<ChatMessage> messages(Object v) {
        if (!(v instanceof List<?> list) || list.isEmpty()) {
            throw ApiError.invalid("messages", "'messages' must be a non-empty list of messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String where = "messages[%d]".formatted(i);
            if (!(list.get(i) instanceof Map<?, ?> msg)) {
                throw ApiError.invalid(where, where + " must be an object");
            }
            if (!(msg.get("role") instanceof String role) || !ROLES.contains(role)) {
                throw ApiError.invalid(where + ".role", where + ".role must be one of " + ROLES);
            }
            String content = content(msg.get("content"), where + ".content");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> toolCalls = msg.get("tool_calls") instanceof List<?> calls ? (List<Map<String, Object>>) calls : List.of();
            String toolCallId = msg.get("tool_call_id") instanceof String s ? s : null;
            out.add(new ChatMessage(role.equals("developer") ? "system" : role, content, toolCalls, toolCallId));
        }
        return out;
    }

    private static String content(Object v, String where) {
        if (v == null) {
            return ""; // an assistant message that only calls tools
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof List<?> parts) {
            StringBuilder sb = new StringBuilder();
            for (Object p : parts) {
                if (!(p instanceof Map<?, ?> part) || !"text".equals(part.get("type")) || !(part.get("text") instanceof String text)) {
                    throw ApiError.invalid(where, where + " parts must be {\"type\": \"text\", \"text\": ...}; this server reads text only");
                }
                sb.append(text);
            }
            return sb.toString();
        }
        throw ApiError.invalid(where, where + " must be a string or a list of text parts");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> tools(Object v) {
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l) || l.stream().anyMatch(t -> !(t instanceof Map<?, ?>))) {
            throw ApiError.invalid("tools", "'tools' must be a list of objects");
        }
        return (List<Map<String, Object>>) l;
    }

    private void run(ServedModel m, GenerationParams params, GenerationRequest request, boolean chat, ServerResponse res) {
        java.util.Optional<String> unavailable = m.unavailable();
        if (unavailable.isPresent()) {
            throw new ApiError(503, "server_error", unavailable.get(), null, "model_unavailable", 5);
        }
        GenerationStream stream = new GenerationStream();
        BatchScheduler.Handle handle;
        try {
            handle = m.scheduler().submit(request, stream);
        } catch (OverloadedException e) {
            throw new ApiError(429, "rate_limit_exceeded", e.getMessage(), null, "server_busy", e.retryAfterSeconds());
        } catch (SessionException e) {
            throw ApiError.invalid("messages", e.getMessage());
        }
        Chunks chunks = new Chunks(chat, m.id(), m.model().tokenizer());
        if (params.stream()) {
            stream(handle, stream, chunks, params, res);
        } else {
            GenerationResult r = await(handle);
            List<TokenLogprobs> lps = new ArrayList<>();
            for (Object e = stream.pollNow(); e != null; e = stream.pollNow()) {
                if (e instanceof TokenLogprobs lp) {
                    lps.add(lp);
                }
            }
            metrics.generation(r.promptLength(), r.generatedCount(), r.prefillNanos(), r.decodeNanos());
            res.header("Content-Type", "application/json");
            res.send(JsonWriter.write(chunks.whole(r.text(), params.logprobs() >= 0 ? lps : null, finish(r.finishReason()), usage(r)), 0));
        }
    }

    private void stream(BatchScheduler.Handle handle, GenerationStream stream, Chunks chunks, GenerationParams params, ServerResponse res) {
        res.header("Content-Type", "text/event-stream; charset=utf-8");
        res.header("Cache-Control", "no-cache");
        res.header("X-Accel-Buffering", "no");
        try (OutputStream out = res.outputStream()) {
            if (chunks.chat()) {
                event(out, chunks.first());
            }
            List<TokenLogprobs> pending = new ArrayList<>();
            while (true) {
                // The scheduler queues every event before it completes the result: once done, what is queued is all.
                boolean done = handle.result().isDone();
                Object e = done ? stream.pollNow() : stream.poll(20);
                if (e instanceof TokenLogprobs lp) {
                    pending.add(lp);
                } else if (e instanceof String text) {
                    event(out, chunks.delta(text, params.logprobs() >= 0 ? List.copyOf(pending) : null, null));
                    pending.clear();
                } else if (done) {
                    break;
                }
            }
            GenerationResult r;
            try {
                r = handle.result().get();
            } catch (ExecutionException ex) {
                event(out, failure(ex.getCause()).json());
                return;
            }
            metrics.generation(r.promptLength(), r.generatedCount(), r.prefillNanos(), r.decodeNanos());
            event(out, chunks.delta("", params.logprobs() >= 0 && !pending.isEmpty() ? pending : null, finish(r.finishReason())));
            if (params.includeUsage()) {
                event(out, chunks.usageOnly(usage(r)));
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException | UncheckedIOException e) { // the client went away
            stream.cancel();
            handle.cancel();
            metrics.cancelled();
        } catch (InterruptedException e) {
            handle.cancel();
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) { // a bug: say so in the log instead of only cutting the client's connection
            handle.cancel();
            LOG.log(Level.SEVERE, "streaming a completion failed after its response started; the client's connection is closed", e);
            throw e;
        }
    }

    /** A failed generation: 503 when the stages could not be reached (a cluster that lost capacity: try again later), else 500. */
    private static ApiError failure(Throwable cause) {
        if (cause instanceof dev.baremetalrt.spi.TransportException) {
            return new ApiError(503, "server_error", "generation failed: " + cause.getMessage(), null, "model_unavailable");
        }
        return new ApiError(500, "server_error", "generation failed: " + cause.getMessage(), null, null);
    }

    private static void event(OutputStream out, Object payload) throws IOException {
        String json = payload instanceof String s ? s : JsonWriter.write(payload, 0);
        out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static GenerationResult await(BatchScheduler.Handle handle) {
        try {
            return handle.result().get();
        } catch (InterruptedException e) {
            handle.cancel();
            Thread.currentThread().interrupt();
            throw new ApiError(503, "server_error", "the request was interrupted", null, null);
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        }
    }

    private static String finish(FinishReason reason) {
        return reason == FinishReason.LENGTH ? "length" : "stop";
    }

    private static Map<String, Object> usage(GenerationResult r) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", r.promptLength());
        u.put("completion_tokens", r.generatedCount());
        u.put("total_tokens", r.promptLength() + r.generatedCount());
        return u;
    }

    static String newId(boolean chat) {
        return (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    }
}
