package dev.baremetalrt.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.core.TestModels;
import dev.baremetalrt.core.json.Json;
import dev.baremetalrt.core.json.JsonWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Renders the published templates of four families (Llama 2 chat, Llama 3 / 3.1 Instruct, Mistral
 * Instruct, ChatML) and compares with strings written by hand from the templates' Python semantics:
 * with and without a system message, several turns, tools, and the templates' own refusals.
 */
class ChatTemplateTest {
    private static final List<ChatMessage> SYSTEM_AND_THREE_TURNS = List.of(
            ChatMessage.system("You are terse."), ChatMessage.user("Hi there "), ChatMessage.assistant(" Hello! "), ChatMessage.user("How are you?"));

    private static ChatTemplate resource(String name, String bos, String eos) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat-templates/" + name)) {
            return new ChatTemplate(new String(in.readAllBytes(), StandardCharsets.UTF_8), bos, eos);
        }
    }

    @Test
    void llama2Chat() throws IOException {
        ChatTemplate t = resource("llama-2-chat.jinja", "<s>", "</s>");
        assertEquals("<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi there [/INST] Hello! </s><s>[INST] How are you? [/INST]",
                t.render(SYSTEM_AND_THREE_TURNS, List.of(), true));
        assertEquals("<s>[INST] Hi [/INST]", t.render(List.of(ChatMessage.user("Hi")), List.of(), true));
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), List.of(), true));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...", e.getMessage());
    }

    @Test
    void llama3FromTheSharedTokenizerConfig() throws IOException {
        Map<String, Object> config = Json.parseObject(Files.readString(TestModels.file("llama3-tokenizer/tokenizer_config.json")), "tokenizer_config.json");
        ChatTemplate t = new ChatTemplate((String) config.get("chat_template"), "<|begin_of_text|>", "<|end_of_text|>");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(SYSTEM_AND_THREE_TURNS, List.of(), true));
    }

    private static final String LLAMA31_HEADER = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n";
    private static final String LLAMA31_DATES = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";

    @Test
    void llama31WithAndWithoutSystemMessage() throws IOException {
        ChatTemplate t = resource("llama-3.1-instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
        assertEquals(LLAMA31_HEADER + LLAMA31_DATES + "You are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(SYSTEM_AND_THREE_TURNS, List.of(), true));
        assertEquals(LLAMA31_HEADER + LLAMA31_DATES + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
                t.render(List.of(ChatMessage.user("Hi")), List.of(), false));
        assertTrue(t.render(List.of(ChatMessage.user("Hi")), List.of(), false, Map.of("date_string", "1 Jan 2026")).contains("Today Date: 1 Jan 2026\n"));
    }

    @Test
    void llama31WithToolsToolCallsAndToolResults() throws IOException {
        ChatTemplate t = resource("llama-3.1-instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
        Map<String, Object> tool = Json.parseObject("""
                {"type": "function", "function": {"name": "get_weather", "description": "Get the weather",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}""", "tool");
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("id", "c1");
        call.put("type", "function");
        call.put("function", Map.of("name", "get_weather", "arguments", Map.of("city", "Paris")));
        List<ChatMessage> conversation = List.of(
                ChatMessage.user("What is the weather in Paris?"),
                new ChatMessage("assistant", "", List.of(call), null),
                new ChatMessage("tool", "18 C", List.of(), "c1"));
        String expected = LLAMA31_HEADER + "Environment: ipython\n" + LLAMA31_DATES + "<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n"
                + "Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n"
                + "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n"
                + """
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "description": "Get the weather",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "city": {
                                    "type": "string"
                                }
                            },
                            "required": [
                                "city"
                            ]
                        }
                    }
                }"""
                + "\n\nWhat is the weather in Paris?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"
                // A string is iterable in Python, so the template writes a tool result through tojson.
                + "<|start_header_id|>ipython<|end_header_id|>\n\n\"18 C\"<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, t.render(conversation, List.of(tool), true));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(List.of(), List.of(tool), true));
        assertEquals("Cannot put tools in the first user message when there's no first user message!", e.getMessage());
    }

    @Test
    void mistralInstruct() throws IOException {
        ChatTemplate t = resource("mistral-instruct.jinja", "<s>", "</s>");
        assertEquals("<s> [INST] You are terse.\n\nHi there  [/INST]  Hello! </s> [INST] How are you? [/INST]",
                t.render(SYSTEM_AND_THREE_TURNS, List.of(), true));
        assertEquals("<s> [INST] Hi [/INST]", t.render(List.of(ChatMessage.user("Hi")), List.of(), true));
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), List.of(), true));
        assertTrue(e.getMessage().startsWith("After the optional system message, conversation roles must alternate"), e.getMessage());
        e = assertThrows(ChatTemplateException.class, () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.of("tool", "b")), List.of(), true));
        assertTrue(e.getMessage().startsWith("Only user and assistant roles are supported"), e.getMessage());
    }

    @Test
    void chatMl() throws IOException {
        ChatTemplate t = resource("chatml.jinja", "", "<|im_end|>");
        List<ChatMessage> two = List.of(ChatMessage.system("You are terse."), ChatMessage.user("Hi"));
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", t.render(two, List.of(), true));
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n", t.render(two, List.of(), false));
    }

    @Test
    void brokenTemplatesAreClearErrors() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> new ChatTemplate("{% for m in messages %}{{ m.content }}", "", "").render(List.of(ChatMessage.user("x")), List.of(), true));
        assertTrue(e.getMessage().contains("chat template"), e.getMessage());
    }

    @Test
    void notBindsLooserThanIsAsInPython() {
        assertEquals("{% if not (x is defined) %}{% if not (m['a'].b is not none) %}", ChatTemplate.pythonPrecedence("{% if not x is defined %}{% if not m['a'].b is not none %}"));
        ChatTemplate t = new ChatTemplate("{{ not tools is defined }} {{ not tools is none }} {{ not zz is defined }}", "", "");
        assertEquals("false true true", t.render(List.of(), List.of(Map.of("type", "function")), false));
    }

    @Test
    void strftimeFollowsPython() {
        var t = java.time.ZonedDateTime.of(2024, 7, 5, 14, 3, 9, 0, java.time.ZoneOffset.UTC);
        assertEquals("05 Jul 2024, Friday 02:03:09 PM %", TemplateFunctions.strftime(t, "%d %b %Y, %A %I:%M:%S %p %%"));
        assertEquals("\"a\\\"b\", [1, 2.5, true, null], {\"k\": \"v\"}",
                JsonWriter.write("a\"b", 0) + ", " + JsonWriter.write(java.util.Arrays.asList(1L, 2.5, true, null), 0) + ", " + JsonWriter.write(Map.of("k", "v"), 0));
    }
}
