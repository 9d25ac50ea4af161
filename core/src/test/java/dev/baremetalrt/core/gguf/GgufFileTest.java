package dev.baremetalrt.core.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.core.TestModels;
import dev.baremetalrt.spi.WeightType;
import org.junit.jupiter.api.Test;

class GgufFileTest {
    @Test
    void readsStories260K() {
        try (GgufFile f = GgufFile.open(TestModels.file("stories260K/stories260K.gguf"))) {
            assertEquals(3, f.version());
            assertEquals(19, f.metadata().size());
            assertEquals(48, f.tensors().size());
            assertEquals("llama", f.string("general.architecture").orElseThrow());
            assertEquals(64, f.integer("llama.embedding_length").orElseThrow());
            assertEquals(4294967295L, f.metadata().get("tokenizer.ggml.seperator_token_id"), "uint32 -1 is kept as an unsigned value");
            assertEquals(512, f.array("tokenizer.ggml.tokens", String[].class).orElseThrow().length);
            GgufTensorInfo embd = f.tensors().get("token_embd.weight");
            assertEquals(WeightType.F32, embd.type());
            assertEquals(64 * 512 * 4, embd.byteSize());
            assertEquals(0, embd.fileOffset() % f.alignment());
        }
    }

    @Test
    void readsVocabOnlyFileWithoutTensors() {
        try (GgufFile f = GgufFile.open(TestModels.file("llama-vocab-llamacpp/ggml-vocab-llama-spm.gguf"))) {
            assertEquals(0, f.tensors().size());
            assertEquals(32000, f.array("tokenizer.ggml.tokens", String[].class).orElseThrow().length);
        }
    }

    @Test
    void readsQuantizedTypes() {
        try (GgufFile q8 = GgufFile.open(TestModels.file("stories260K-gguf-derived/stories260K-Q8_0.gguf"));
             GgufFile q4 = GgufFile.open(TestModels.file("stories260K-gguf-derived/stories260K-Q4_0.gguf"));
             GgufFile f16 = GgufFile.open(TestModels.file("stories260K-gguf-derived/stories260K-F16.gguf"))) {
            assertEquals(WeightType.Q8_0, q8.tensors().get("blk.0.attn_q.weight").type());
            assertEquals(WeightType.Q4_0, q4.tensors().get("blk.0.attn_q.weight").type());
            assertEquals(WeightType.F16, f16.tensors().get("blk.0.attn_q.weight").type());
            assertTrue(q4.fileSize() < q8.fileSize());
        }
    }
}
