package dev.baremetalrt.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.baremetalrt.core.TestModels;
import dev.baremetalrt.core.gguf.GgufFile;
import dev.baremetalrt.core.model.ModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizersTest {
    @TempDir
    Path dir;

    @Test
    void llama3ByteLevelBpeReproducesAll46LlamaCppVectors() {
        BpeTokenizer t = HfTokenizers.load(TestModels.file("llama3-tokenizer"));
        assertEquals(BpeTokenizer.Mode.BYTE_LEVEL, t.mode());
        assertEquals(128000, t.bosId());
        assertFalse(t.addBosByDefault(), "this early Llama 3 tokenizer.json does not add BOS");
        TokenizerVectors v = TokenizerVectors.load("llama-vocab-llamacpp/ggml-vocab-llama-bpe.gguf");
        assertEquals(46, v.inputs().size());
        for (int i = 0; i < v.inputs().size(); i++) {
            String text = v.inputs().get(i);
            assertArrayEquals(v.outputs().get(i), t.encode(text, false), "case " + i + ": '" + text + "'");
            assertEquals(text, t.decode(t.encode(text, false)), "round trip of case " + i);
        }
        assertArrayEquals(new int[] {9906, 11, 1917, 0}, t.encode("Hello, world!", false));
    }

    /** The same vocabulary as GGUF metadata (tokenizer.ggml.model=gpt2, pre=llama-bpe) goes through the same code. */
    @Test
    void ggufByteLevelBpeReproducesTheLlama3Vectors() {
        BpeTokenizer hf = HfTokenizers.load(TestModels.file("llama3-tokenizer"));
        java.util.Map<String, Object> root = HfTokenizers.readObject(TestModels.file("llama3-tokenizer/tokenizer.json"));
        java.util.Map<?, ?> model = (java.util.Map<?, ?>) root.get("model");
        String[] merges = ((List<?>) model.get("merges")).stream().map(Object::toString).toArray(String[]::new);
        String[] tokens = new String[hf.vocabSize()];
        int[] types = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = hf.tokenText(i);
            types[i] = i >= 128000 ? SentencePieceTokenizer.TYPE_CONTROL : SentencePieceTokenizer.TYPE_NORMAL;
        }
        Path file = dir.resolve("llama3-vocab.gguf");
        new dev.baremetalrt.core.gguf.GgufWriter()
                .putString("general.architecture", "llama")
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "llama-bpe")
                .putStrings("tokenizer.ggml.tokens", tokens)
                .putInt32s("tokenizer.ggml.token_type", types)
                .putStrings("tokenizer.ggml.merges", merges)
                .putUInt32("tokenizer.ggml.bos_token_id", 128000)
                .putUInt32("tokenizer.ggml.eos_token_id", 128001)
                .write(file);
        Tokenizer gguf = Tokenizers.open(file);
        assertTrue(gguf.addBosByDefault());
        TokenizerVectors v = TokenizerVectors.load("llama-vocab-llamacpp/ggml-vocab-llama-bpe.gguf");
        for (int i = 0; i < v.inputs().size(); i++) {
            assertArrayEquals(v.outputs().get(i), gguf.encode(v.inputs().get(i), false), "case " + i);
        }
        assertEquals("", new String(gguf.pieceBytes(128000), java.nio.charset.StandardCharsets.UTF_8), "control tokens decode to nothing");
    }

    @Test
    void storiesTokenizerJsonAgreesWithItsGguf() throws IOException {
        BpeTokenizer hf = HfTokenizers.load(TestModels.file("stories260K-hf-derived"));
        assertEquals(BpeTokenizer.Mode.SENTENCEPIECE, hf.mode());
        Tokenizer gguf;
        try (GgufFile f = GgufFile.open(TestModels.file("stories260K/stories260K.gguf"))) {
            gguf = Tokenizers.fromGguf(f);
        }
        List<String> texts = new ArrayList<>(TokenizerVectors.load("llama-vocab-llamacpp/ggml-vocab-llama-spm.gguf").inputs());
        texts.addAll(List.of("Once upon a time", "Lily wanted to", "  leading and trailing  ", "tabs\tand\nnewlines", "日本語 😀"));
        for (String text : texts) {
            assertArrayEquals(gguf.encode(text, true), hf.encode(text, true), "'" + text + "'");
            assertEquals(gguf.decode(gguf.encode(text, false)), hf.decode(hf.encode(text, false)), "decoding '" + text + "'");
        }
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, hf.encode("Once upon a time"));
    }

    @Test
    void malformedTokenizerFilesAreClearErrors() throws IOException {
        String good = Files.readString(TestModels.file("stories260K-hf-derived/tokenizer.json"));
        List<String> bad = List.of("", "{", "[]", "{\"model\": 5}", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}",
                "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}}}", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 99999999999}}}",
                "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"ab\"]}}",
                "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"zero\"}}}",
                "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}}, \"decoder\": {\"type\": \"ByteLevel\"}}",
                good.replace("\"Prepend\"", "\"Lowercase\""));
        for (String text : bad) {
            Path d = Files.createDirectories(dir.resolve("t" + bad.indexOf(text)));
            Files.writeString(d.resolve("tokenizer.json"), text);
            ModelException e = assertThrows(ModelException.class, () -> HfTokenizers.load(d), text.length() > 80 ? text.substring(0, 80) : text);
            assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
        }
        Random r = new Random(5);
        for (int i = 0; i < 300; i++) {
            char[] c = good.toCharArray();
            for (int k = 0; k < 3; k++) {
                String alphabet = "{}[]\":,0a ";
                c[r.nextInt(c.length)] = alphabet.charAt(r.nextInt(alphabet.length()));
            }
            Path d = Files.createDirectories(dir.resolve("m" + i));
            Files.writeString(d.resolve("tokenizer.json"), new String(c));
            try {
                HfTokenizers.load(d).encode("Once upon a time", true);
            } catch (ModelException expected) {
                // clear refusal
            } catch (RuntimeException e) {
                fail("mutation " + i + " escaped as " + e, e);
            }
        }
    }
}
