package dev.baremetalrt.core.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.core.model.HfModel;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.tokenizer.TokenizerVectors;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SyntheticHfModelGeneratorTest {
    private static final ModelShape GQA = new ModelShape("test-gqa", 64, 96, 2, 4, 2, 700, 64, 10000f);

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = WeightType.class, names = {"F32", "F16", "BF16"})
    void holdsTheSameModelAsTheGgufOfTheSameSeed(WeightType type) {
        Path dir = tmp.resolve("hf-" + type);
        Path gguf = tmp.resolve("m-" + type + ".gguf");
        SyntheticHfModelGenerator.write(GQA, type, 77, dir);
        SyntheticModelGenerator.write(GQA, type, 77, gguf);
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
        assertFalse(Files.exists(dir.resolve("model.safetensors.index.json")), "one shard: no index");
        try (HfModel hf = HfModel.open(dir); LlamaModel ref = LlamaModel.open(gguf)) {
            assertEquals(ref.config(), hf.config(), "config.json says what the GGUF metadata says");
            for (String name : matrices()) {
                WeightTensor a = hf.requireTensor(name);
                WeightTensor b = ref.requireTensor(name);
                assertEquals(type, a.type(), name);
                assertArrayEquals(b.shape(), a.shape(), name);
                // q/k come back from rotate-half order through HfModel's permutation: same bytes means the
                // generator wrote what transformers would have.
                assertArrayEquals(b.data().toArray(ValueLayout.JAVA_BYTE), a.data().toArray(ValueLayout.JAVA_BYTE), name + " bytes");
            }
            assertEquals(type, hf.requireTensor(TensorNames.attnNorm(0)).type(), "norms are stored in the model dtype, as transformers saves them");
        }
    }

    @Test
    void shardsWithAnIndexWhenTheModelExceedsTheShardSize() throws IOException {
        Path whole = tmp.resolve("whole");
        Path sharded = tmp.resolve("sharded");
        SyntheticHfModelGenerator.write(GQA, WeightType.F16, 5, whole);
        SyntheticHfModelGenerator.write(GQA, WeightType.F16, 5, sharded, 40_000);
        List<Path> shards;
        try (Stream<Path> files = Files.list(sharded)) {
            shards = files.filter(p -> p.getFileName().toString().startsWith("model-")).sorted().toList();
        }
        assertTrue(shards.size() >= 3, "several shards: " + shards);
        assertEquals("model-00001-of-%05d.safetensors".formatted(shards.size()), shards.getFirst().getFileName().toString());
        assertTrue(Files.isRegularFile(sharded.resolve("model.safetensors.index.json")));
        assertFalse(Files.exists(sharded.resolve("model.safetensors")));
        SyntheticHfModelGenerator.write(GQA, WeightType.F16, 5, sharded, 1L << 30);
        try (Stream<Path> files = Files.list(sharded)) {
            assertEquals(List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "rewriting leaves no stale shards");
        }
        SyntheticHfModelGenerator.write(GQA, WeightType.F16, 5, sharded, 40_000);
        try (HfModel a = HfModel.open(whole); HfModel b = HfModel.open(sharded)) {
            for (String name : matrices()) {
                assertArrayEquals(a.requireTensor(name).data().toArray(ValueLayout.JAVA_BYTE), b.requireTensor(name).data().toArray(ValueLayout.JAVA_BYTE), name);
            }
        }
    }

    @Test
    void tokenizerJsonEncodesLikeTheGgufVocabulary() {
        Path dir = tmp.resolve("tok");
        Path gguf = tmp.resolve("tok.gguf");
        ModelShape big = new ModelShape("vocab", GQA.dim(), GQA.ffnDim(), 1, GQA.heads(), GQA.kvHeads(), 4000, 64, 10000f);
        SyntheticHfModelGenerator.write(big, WeightType.F16, 1, dir);
        SyntheticModelGenerator.write(big, WeightType.F16, 1, gguf);
        List<String> texts = new ArrayList<>(TokenizerVectors.load("llama-vocab-llamacpp/ggml-vocab-llama-spm.gguf").inputs());
        texts.addAll(List.of("Once upon a time", "the batea shoutha tra", "  stacked   spaces", "Mixed CASE and ümlauts 🦙", "bababa chouchou trai"));
        try (HfModel hf = HfModel.open(dir); LlamaModel ref = LlamaModel.open(gguf)) {
            int merged = 0;
            for (String text : texts) {
                int[] want = ref.tokenizer().encode(text, true);
                int[] got = hf.tokenizer().encode(text, true);
                assertArrayEquals(want, got, "'" + text + "'");
                assertEquals(ref.tokenizer().decode(want), hf.tokenizer().decode(got), "decoding '" + text + "'");
                merged += want.length < text.length() ? 1 : 0;
            }
            assertTrue(merged > 10, "the texts must exercise merges, not only byte fallback: " + merged);
        }
    }

    @Test
    void quantizedTypesAndBadShardSizesAreRefused() {
        IllegalArgumentException q = assertThrows(IllegalArgumentException.class, () -> SyntheticHfModelGenerator.write(GQA, WeightType.Q8_0, 1, tmp.resolve("q")));
        assertEquals("HF safetensors models hold F32, F16 or BF16 weights, not Q8_0 (write a GGUF file for quantized types)", q.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SyntheticHfModelGenerator.write(GQA, WeightType.F32, 1, tmp.resolve("z"), 0));
    }

    private static List<String> matrices() {
        List<String> names = new ArrayList<>(List.of(TensorNames.TOKEN_EMBEDDING, TensorNames.OUTPUT));
        for (int l = 0; l < GQA.layers(); l++) {
            names.addAll(List.of(TensorNames.attnQ(l), TensorNames.attnK(l), TensorNames.attnV(l), TensorNames.attnOutput(l),
                    TensorNames.ffnGate(l), TensorNames.ffnUp(l), TensorNames.ffnDown(l)));
        }
        return names;
    }
}
