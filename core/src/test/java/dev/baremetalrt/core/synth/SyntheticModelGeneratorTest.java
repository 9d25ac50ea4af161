package dev.baremetalrt.core.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SyntheticModelGeneratorTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(WeightType.class)
    void writesAValidModelOfEveryType(WeightType type) {
        // K-quants need rows that are multiples of 256.
        ModelShape shape = type.blockSize() == 256 ? new ModelShape("tiny-256", 256, 512, 2, 4, 2, 1024, 1024, 10000f) : ModelShape.TINY;
        Path p = dir.resolve("tiny-" + type + ".gguf");
        SyntheticModelGenerator.write(shape, type, 1, p);
        try (LlamaModel m = LlamaModel.open(p)) {
            assertEquals(shape.toConfig(), m.config());
            assertEquals(type, m.tensor(TensorNames.attnQ(0)).orElseThrow().type());
            assertEquals(WeightType.F32, m.tensor(TensorNames.attnNorm(0)).orElseThrow().type());
            assertEquals(1024, m.tokenizer().vocabSize());
        }
    }

    @Test
    void aShapeThatCannotHoldTheBlocksIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticModelGenerator.write(ModelShape.TINY, WeightType.Q4_K, 1, dir.resolve("x.gguf")));
        assertEquals("shape tiny: dim 128 and ffn 352 must be multiples of 256 for Q4_K", e.getMessage());
    }

    @Test
    void sameSeedSameBytes() throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        SyntheticModelGenerator.write(ModelShape.TINY, WeightType.Q4_0, 9, a);
        SyntheticModelGenerator.write(ModelShape.TINY, WeightType.Q4_0, 9, b);
        SyntheticModelGenerator.write(ModelShape.TINY, WeightType.Q4_0, 10, c);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertEquals(Files.size(a), Files.size(c));
        assertEquals(false, java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
    }

    @Test
    void namedShapes() {
        ModelShape t = ModelShape.named("tinyllama-1.1b");
        assertEquals(2048, t.dim());
        assertEquals(22, t.layers());
        assertEquals(32, t.heads());
        assertEquals(4, t.kvHeads());
        assertEquals(5632, t.ffnDim());
        assertEquals(32000, t.vocabSize());
        ModelShape seventy = ModelShape.named("llama-70b").withLayers(2);
        assertEquals(8192, seventy.dim());
        assertEquals(28672, seventy.ffnDim());
        assertEquals(2, seventy.layers());
        assertThrows(IllegalArgumentException.class, () -> ModelShape.named("gpt-5"));
    }
}
