package dev.baremetalrt.core.chat;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One message of a conversation as templates see it: {@code role}, {@code content} and, for tool use,
 * {@code tool_calls} (assistant) or {@code tool_call_id} (tool results). Immutable.
 *
 * @param toolCalls  OpenAI-shaped calls, each {@code {id, type, function: {name, arguments}}}; empty for none
 * @param toolCallId the call a {@code tool} message answers, or null
 */
public record ChatMessage(String role, String content, List<Map<String, Object>> toolCalls, String toolCallId) {
    public ChatMessage {
        requireNonNull(role, "role is null");
        requireNonNull(content, "content is null");
        toolCalls = List.copyOf(requireNonNull(toolCalls, "toolCalls is null"));
    }

    public static ChatMessage of(String role, String content) {
        return new ChatMessage(role, content, List.of(), null);
    }

    public static ChatMessage system(String content) {
        return of("system", content);
    }

    public static ChatMessage user(String content) {
        return of("user", content);
    }

    public static ChatMessage assistant(String content) {
        return of("assistant", content);
    }

    /** The message as a template reads it; {@code tool_calls} and {@code tool_call_id} only when present. */
    Map<String, Object> toTemplateValue() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        if (!toolCalls.isEmpty()) {
            m.put("tool_calls", toolCalls);
        }
        if (toolCallId != null) {
            m.put("tool_call_id", toolCallId);
        }
        return m;
    }
}
