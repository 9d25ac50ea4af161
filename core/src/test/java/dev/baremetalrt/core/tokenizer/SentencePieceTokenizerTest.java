package dev.baremetalrt.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baremetalrt.core.TestModels;
import dev.baremetalrt.core.gguf.GgufFile;
import org.junit.jupiter.api.Test;

class SentencePieceTokenizerTest {
    private static Tokenizer load(String file) {
        try (GgufFile gguf = GgufFile.open(TestModels.file(file))) {
            return Tokenizers.fromGguf(gguf);
        }
    }

    @Test
    void reproducesAll46LlamaCppVectors() {
        Tokenizer tokenizer = load("llama-vocab-llamacpp/ggml-vocab-llama-spm.gguf");
        TokenizerVectors vectors = TokenizerVectors.load("llama-vocab-llamacpp/ggml-vocab-llama-spm.gguf");
        assertEquals(46, vectors.inputs().size());
        for (int i = 0; i < vectors.inputs().size(); i++) {
            String text = vectors.inputs().get(i);
            assertArrayEquals(vectors.outputs().get(i), tokenizer.encode(text, false), "case " + i + ": '" + text + "'");
        }
    }

    @Test
    void decodingInvertsEncodingOnTheVectors() {
        Tokenizer tokenizer = load("llama-vocab-llamacpp/ggml-vocab-llama-spm.gguf");
        for (String text : TokenizerVectors.load("llama-vocab-llamacpp/ggml-vocab-llama-spm.gguf").inputs()) {
            assertEquals(text, tokenizer.decode(tokenizer.encode(text, false)), "round trip of '" + text + "'");
        }
    }

    @Test
    void storiesPromptsWithBos() {
        Tokenizer tokenizer = load("stories260K/stories260K.gguf");
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, tokenizer.encode("Once upon a time"));
        assertArrayEquals(new int[] {1, 317, 391, 266, 267}, tokenizer.encode("Lily wanted to"));
        assertArrayEquals(new int[] {1}, tokenizer.encode(""));
    }

    @Test
    void byteFallbackAndPartialUtf8AreHeldBack() {
        Tokenizer tokenizer = load("stories260K/stories260K.gguf");
        int[] ids = tokenizer.encode("héllo 🚀", false);
        StreamingDecoder decoder = tokenizer.newDecoder();
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) {
            String piece = decoder.accept(id);
            assertEquals(-1, piece.indexOf('\uFFFD'), "no replacement characters while streaming: " + piece);
            streamed.append(piece);
        }
        streamed.append(decoder.flush());
        assertEquals("héllo 🚀", streamed.toString());
    }

    @Test
    void incompleteUtf8AtTheEndIsFlushedAsReplacement() {
        assertEquals(0, StreamingDecoder.completePrefix(new byte[] {(byte) 0xF0, (byte) 0x9F}));
        assertEquals(1, StreamingDecoder.completePrefix(new byte[] {'a', (byte) 0xE2}));
        assertEquals(4, StreamingDecoder.completePrefix("a€".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Tokenizer tokenizer = load("stories260K/stories260K.gguf");
        StreamingDecoder decoder = tokenizer.newDecoder();
        int byteF0 = 3 + 0xF0; // stories260K: ids 3..258 are <0x00>..<0xFF>
        int byte9F = 3 + 0x9F;
        assertEquals("<0xF0>", tokenizer.tokenText(byteF0));
        assertEquals("", decoder.accept(byteF0), "the start of a 4-byte sequence is held back");
        assertEquals("", decoder.accept(byte9F));
        assertEquals("\uFFFD", decoder.flush(), "a sequence cut off at the end becomes one replacement character");
        assertEquals("", decoder.flush(), "nothing is left after a flush");
    }
}
