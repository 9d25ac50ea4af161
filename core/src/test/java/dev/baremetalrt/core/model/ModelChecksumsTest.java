package dev.baremetalrt.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.baremetalrt.core.TestModels;
import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelChecksumsTest {
    @TempDir
    Path tmp;

    @Test
    void sameWeightsInEitherFormatGiveTheSameChecksum() {
        try (Model gguf = Models.open(TestModels.file("stories260K/stories260K.gguf"));
             Model hf = Models.open(TestModels.file("stories260K-hf-derived"));
             Model f16 = Models.open(TestModels.file("stories260K-gguf-derived/stories260K-F16.gguf"))) {
            for (int start = 0; start < 5; start++) {
                LayerRange range = new LayerRange(start, start + 1);
                assertEquals(ModelChecksums.of(gguf, range, start == 0, start == 4), ModelChecksums.of(hf, range, start == 0, start == 4), range.toString());
            }
            assertNotEquals(ModelChecksums.of(gguf), ModelChecksums.of(f16), "another weight type is another checksum");
            assertNotEquals(ModelChecksums.of(gguf, new LayerRange(0, 2), true, false), ModelChecksums.of(gguf, new LayerRange(0, 3), true, false));
            assertEquals(64, ModelChecksums.of(gguf).length());
        }
    }

    @Test
    void differentSeedsDiffer() {
        Path a = tmp.resolve("a.gguf");
        Path b = tmp.resolve("b.gguf");
        SyntheticModelGenerator.write(ModelShape.TINY, WeightType.Q8_0, 1, a);
        SyntheticModelGenerator.write(ModelShape.TINY, WeightType.Q8_0, 2, b);
        try (Model x = Models.open(a); Model y = Models.open(b)) {
            assertNotEquals(ModelChecksums.of(x), ModelChecksums.of(y));
        }
    }
}
