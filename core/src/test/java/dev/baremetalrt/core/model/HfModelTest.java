package dev.baremetalrt.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.baremetalrt.core.TestModels;
import dev.baremetalrt.spi.RopeScaling;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightTensor;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfModelTest {
    @TempDir
    Path tmp;

    @Test
    void everyTensorEqualsTheGgufOneAfterMappingAndPermutation() {
        try (HfModel hf = HfModel.open(TestModels.file("stories260K-hf-derived"));
             LlamaModel gguf = LlamaModel.open(TestModels.file("stories260K/stories260K.gguf"))) {
            assertEquals("stories260K-hf-derived", hf.modelId());
            assertEquals(gguf.config().dim(), hf.config().dim());
            assertEquals(gguf.config().kvHeadCount(), hf.config().kvHeadCount());
            assertEquals(gguf.config().ffnDim(), hf.config().ffnDim());
            assertEquals(512, hf.config().contextLength());
            assertTrue(hf.tensor(TensorNames.OUTPUT).isEmpty(), "tied embeddings: no separate head");
            List<String> names = new ArrayList<>(List.of(TensorNames.TOKEN_EMBEDDING, TensorNames.OUTPUT_NORM));
            for (int l = 0; l < 5; l++) {
                names.addAll(TensorNames.layerTensors(l));
            }
            for (String name : names) {
                WeightTensor a = hf.requireTensor(name);
                WeightTensor b = gguf.requireTensor(name);
                assertArrayEquals(b.shape(), a.shape(), name);
                assertArrayEquals(b.data().toArray(ValueLayout.JAVA_BYTE), a.data().toArray(ValueLayout.JAVA_BYTE), name + " bytes");
            }
        }
    }

    @Test
    void modelsOpensDirectoriesAndFiles() {
        try (Model dir = Models.open(TestModels.file("stories260K-hf-derived")); Model file = Models.open(TestModels.file("stories260K/stories260K.gguf"))) {
            assertTrue(dir instanceof HfModel);
            assertTrue(file instanceof LlamaModel);
            assertArrayEquals(file.tokenizer().encode("Once upon a time"), dir.tokenizer().encode("Once upon a time"));
        }
    }

    private Path copyOfStories(String name) throws IOException {
        Path src = TestModels.file("stories260K-hf-derived");
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    private static ModelException refused(Path dir, String fragment) {
        ModelException e = assertThrows(ModelException.class, () -> HfModel.open(dir).close());
        assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' in: " + e.getMessage());
        return e;
    }

    @Test
    void llama31RopeScalingIsRead() throws IOException {
        Path dir = copyOfStories("llama31");
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replace("\"rope_scaling\": null", """
                "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 64, "rope_type": "llama3"}"""));
        try (HfModel hf = HfModel.open(dir)) {
            RopeScaling s = hf.config().ropeScaling();
            assertEquals("llama3", s.type());
            assertEquals(RopeScaling.llama3(8, 1, 4, 64, hf.config().ropeTheta(), hf.config().ropeDim()), s);
            assertEquals(1f, s.divisor(0), "highest frequency kept");
            assertEquals(8f, s.divisor(s.size() - 1), "lowest frequency divided by the factor");
        }
    }

    @Test
    void badConfigIsAClearError() throws IOException {
        Path dir = copyOfStories("config");
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replace("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"yarn\"}"));
        refused(dir, "type 'yarn' is not supported");
        Files.writeString(dir.resolve("config.json"), config.replace("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}"));
        refused(dir, "llama3 scaling needs low_freq_factor");
        Files.writeString(dir.resolve("config.json"), config.replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        refused(dir, "not supported");
        Files.writeString(dir.resolve("config.json"), config.replace("\"hidden_size\": 64", "\"hidden_size\": \"64\""));
        refused(dir, "'hidden_size' must be an integer");
        Files.writeString(dir.resolve("config.json"), config.replace("\"intermediate_size\": 172", "\"intermediate_size\": 173"));
        refused(dir, "has shape");
        Files.delete(dir.resolve("config.json"));
        refused(dir, "no config.json");
    }

    @Test
    void corruptSafetensorsHeadersAreClearErrors() throws IOException {
        Path dir = copyOfStories("st");
        Path file = dir.resolve("model.safetensors");
        byte[] good = Files.readAllBytes(file);
        int headerLength = (int) ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(good, 8, headerLength, StandardCharsets.UTF_8).stripTrailing(); // room for small edits

        Files.write(file, withLength(good, Long.MAX_VALUE));
        refused(dir, "header length");
        Files.write(file, withLength(good, -5));
        refused(dir, "header length");
        Files.write(file, java.util.Arrays.copyOf(good, 5));
        refused(dir, "too short");
        Files.write(file, java.util.Arrays.copyOf(good, good.length - 100));
        refused(dir, "outside");
        Files.write(file, withHeader(good, headerLength, header.replaceFirst("\"F32\"", "\"Q99\"")));
        refused(dir, "unknown dtype");
        Files.write(file, withHeader(good, headerLength, header.replaceFirst("\"F32\"", "\"F16\"")));
        refused(dir, "bytes of data");
        Files.write(file, withHeader(good, headerLength, header.replace(",1040128]", ",9040128]")));
        refused(dir, "outside");
        Files.write(file, withHeader(good, headerLength, header.replace("\"data_offsets\":[0,131072]", "\"data_offsets\":[0,\"131072\"]")));
        refused(dir, "data_offsets must be two integers");
        Files.write(file, withHeader(good, headerLength, header.replaceFirst("\\{", "[")));
        refused(dir, "malformed JSON");
        Files.write(file, withHeader(good, headerLength, header.replace("model.norm.weight", "model.nork.weight")));
        refused(dir, "no tensor model.norm.weight");

        Random r = new Random(3);
        for (int i = 0; i < 300; i++) {
            byte[] copy = good.clone();
            for (int k = 0; k < 3; k++) {
                copy[8 + r.nextInt(headerLength)] = (byte) "{}[]\":,0-9 x".charAt(r.nextInt(12));
            }
            Files.write(file, copy);
            try {
                HfModel.open(dir).close();
            } catch (ModelException expected) {
                // a clear refusal
            } catch (RuntimeException e) {
                fail("header mutation " + i + " escaped as " + e, e);
            }
        }
    }

    private static byte[] withLength(byte[] good, long length) {
        byte[] copy = good.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        return copy;
    }

    /** Same file with a header of the same length (padded with spaces), so the data offsets still line up. */
    private static byte[] withHeader(byte[] good, int length, String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        assertFalse(h.length > length, "replacement header must not be longer");
        byte[] copy = good.clone();
        java.util.Arrays.fill(copy, 8, 8 + length, (byte) ' ');
        System.arraycopy(h, 0, copy, 8, h.length);
        return copy;
    }
}
