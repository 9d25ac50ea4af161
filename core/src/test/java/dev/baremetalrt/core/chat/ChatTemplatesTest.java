package dev.baremetalrt.core.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.core.TestModels;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.model.Models;
import dev.baremetalrt.core.tokenizer.Tokenizer;
import dev.baremetalrt.core.tokenizer.Tokenizers;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplatesTest {
    @Test
    void aModelWithoutTemplateGetsTheDocumentedFallback() {
        try (Model model = Models.open(TestModels.file("stories260K/stories260K.gguf"))) {
            assertTrue(ChatTemplates.usesFallback(model));
            String prompt = ChatTemplates.forModel(model).render(List.of(ChatMessage.system("Lily"), ChatMessage.user("Once upon a time")), List.of(), true);
            assertEquals("<s>Lily\n\nOnce upon a time", prompt);
            Tokenizer t = model.tokenizer();
            int[] ids = ChatTemplates.encode(t, prompt);
            assertEquals(t.bosId(), ids[0], "the template's <s> is the BOS token, not its letters");
            assertEquals(1, java.util.Arrays.stream(ids).filter(id -> id == t.bosId()).count(), "and BOS is not added a second time");
            assertArrayEquals(t.encode("Lily"), java.util.Arrays.copyOf(ids, t.encode("Lily").length));
        }
    }

    @Test
    void theTemplateComesFromTokenizerConfig() {
        assertTrue(ChatTemplates.fromTokenizerConfig(TestModels.file("llama3-tokenizer")).orElseThrow().contains("<|start_header_id|>"));
    }

    @Test
    void llama3SpecialTokensAreParsedOnlyWhenAsked() {
        Tokenizer t = Tokenizers.open(TestModels.file("llama3-tokenizer"));
        String text = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
        assertArrayEquals(new int[] {128006, 882, 128007, 271, 13347, 128009}, t.encode(text, false, true));
        int[] literal = t.encode(text, false, false);
        assertTrue(literal.length > 6 && java.util.Arrays.stream(literal).noneMatch(id -> id >= 128000), "without parsing, the markers are plain text");
        assertEquals(text, t.decode(t.encode(text, false, false)));
    }
}
