package dev.baremetalrt.core.gguf;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.baremetalrt.core.TestModels;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.model.ModelException;
import dev.baremetalrt.spi.BrtException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrupt and truncated files give a {@link GgufFormatException} naming the file and the problem — never
 * an unchecked exception, a negative-size allocation or an out-of-memory error.
 */
class GgufCorruptionTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static GgufFormatException expectError(Path file, String... fragments) {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(file).close());
        assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "mentions '" + f + "': " + e.getMessage());
        }
        return e;
    }

    /** A minimal valid file: one string key, one F32 tensor [32, 2]; fields reachable by offset. */
    private static final class Minimal {
        static final int TENSOR_COUNT_AT = 8;
        static final int KV_COUNT_AT = 16;
        static final int KEY_LENGTH_AT = 24;
        int valueTypeAt;
        int stringLengthAt;
        int tensorDimsAt;
        int tensorFirstDimAt;
        int tensorTypeAt;
        int tensorOffsetAt;
        byte[] bytes;

        Minimal() {
            ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0x46554747).putInt(3).putLong(1).putLong(1);
            byte[] key = "general.name".getBytes(StandardCharsets.UTF_8);
            b.putLong(key.length).put(key);
            valueTypeAt = b.position();
            b.putInt(8);
            stringLengthAt = b.position();
            byte[] value = "test".getBytes(StandardCharsets.UTF_8);
            b.putLong(value.length).put(value);
            byte[] name = "w".getBytes(StandardCharsets.UTF_8);
            b.putLong(name.length).put(name);
            tensorDimsAt = b.position();
            b.putInt(2);
            tensorFirstDimAt = b.position();
            b.putLong(32).putLong(2);
            tensorTypeAt = b.position();
            b.putInt(0);
            tensorOffsetAt = b.position();
            b.putLong(0);
            int data = (b.position() + 31) / 32 * 32;
            b.position(data);
            for (int i = 0; i < 64; i++) {
                b.putFloat(i);
            }
            bytes = Arrays.copyOf(b.array(), b.position());
        }

        Minimal putInt(int at, int v) {
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
            return this;
        }

        Minimal putLong(int at, long v) {
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
            return this;
        }
    }

    @Test
    void minimalFileIsValid() throws IOException {
        try (GgufFile f = GgufFile.open(write("ok.gguf", new Minimal().bytes))) {
            assertTrue(f.tensors().containsKey("w"));
        }
    }

    @Test
    void badMagic() throws IOException {
        expectError(write("magic.gguf", new Minimal().putInt(0, 0x12345678).bytes), "bad magic");
    }

    @Test
    void unsupportedVersions() throws IOException {
        expectError(write("v1.gguf", new Minimal().putInt(4, 1).bytes), "version 1");
        expectError(write("v9.gguf", new Minimal().putInt(4, 9).bytes), "version 9");
        expectError(write("be.gguf", new Minimal().putInt(4, Integer.reverseBytes(3)).bytes), "big-endian");
    }

    @Test
    void hugeCounts() throws IOException {
        expectError(write("tensors.gguf", new Minimal().putLong(Minimal.TENSOR_COUNT_AT, Long.MAX_VALUE).bytes), "tensor count");
        expectError(write("tensors-neg.gguf", new Minimal().putLong(Minimal.TENSOR_COUNT_AT, -1).bytes), "tensor count");
        expectError(write("kv.gguf", new Minimal().putLong(Minimal.KV_COUNT_AT, 1L << 40).bytes), "count");
    }

    @Test
    void hugeStringLengths() throws IOException {
        expectError(write("key.gguf", new Minimal().putLong(Minimal.KEY_LENGTH_AT, 1L << 50).bytes), "string length");
        Minimal m = new Minimal();
        expectError(write("value.gguf", m.putLong(m.stringLengthAt, Long.MAX_VALUE).bytes), "string length");
    }

    @Test
    void unknownValueType() throws IOException {
        Minimal m = new Minimal();
        expectError(write("type.gguf", m.putInt(m.valueTypeAt, 99).bytes), "unknown value type 99");
    }

    @Test
    void hugeArray() throws IOException {
        Minimal m = new Minimal();
        m.putInt(m.valueTypeAt, 9); // array
        m.putInt(m.stringLengthAt, 4); // of uint32
        m.putLong(m.stringLengthAt + 4, 1L << 60); // elements
        expectError(write("array.gguf", m.bytes), "array length");
    }

    @Test
    void badDimensions() throws IOException {
        Minimal a = new Minimal();
        expectError(write("ndims.gguf", a.putInt(a.tensorDimsAt, 5).bytes), "5 dimensions");
        Minimal b = new Minimal();
        expectError(write("dim0.gguf", b.putLong(b.tensorFirstDimAt, 0).bytes), "dimension 0");
        Minimal c = new Minimal();
        expectError(write("dimhuge.gguf", c.putLong(c.tensorFirstDimAt, 1L << 50).bytes), "dimension 0");
        Minimal d = new Minimal();
        expectError(write("dimneg.gguf", d.putLong(d.tensorFirstDimAt, -32).bytes), "dimension 0");
    }

    @Test
    void unknownTensorType() throws IOException {
        Minimal m = new Minimal();
        expectError(write("iq2.gguf", m.putInt(m.tensorTypeAt, 16).bytes), "IQ2_XXS");
        Minimal k = new Minimal();
        expectError(write("q4k-short-row.gguf", k.putInt(k.tensorTypeAt, 12).bytes), "row length 32 is not a multiple of the Q4_K block size 256");
        Minimal n = new Minimal();
        expectError(write("t77.gguf", n.putInt(n.tensorTypeAt, 77).bytes), "77 (unknown)");
    }

    @Test
    void offsetsPastTheEndOrMisaligned() throws IOException {
        Minimal m = new Minimal();
        expectError(write("offset.gguf", m.putLong(m.tensorOffsetAt, 1L << 40).bytes), "outside the file");
        Minimal n = new Minimal();
        expectError(write("offset-neg.gguf", n.putLong(n.tensorOffsetAt, -32).bytes), "offset");
        Minimal o = new Minimal();
        expectError(write("misaligned.gguf", o.putLong(o.tensorOffsetAt, 4).bytes), "alignment");
    }

    @Test
    void missingFile() {
        expectError(dir.resolve("nope.gguf"), "no such file");
    }

    @Test
    void truncatedAtEveryHeaderOffsetAndInTheData() throws IOException {
        byte[] full = Files.readAllBytes(TestModels.file("stories260K/stories260K.gguf"));
        long dataStart;
        try (GgufFile f = GgufFile.open(TestModels.file("stories260K/stories260K.gguf"))) {
            dataStart = f.dataOffset();
        }
        int checked = 0;
        for (int length = 0; length < full.length; length += length < 256 ? 1 : length < dataStart ? 97 : 65_536) {
            Path p = write("cut.gguf", Arrays.copyOf(full, length));
            expectError(p);
            checked++;
        }
        assertTrue(checked > 300, "checked " + checked + " truncation points");
    }

    @Test
    void randomByteFlipsNeverEscapeAsUncheckedErrors() throws IOException {
        byte[] full = Files.readAllBytes(TestModels.file("stories260K/stories260K.gguf"));
        int headerEnd;
        try (GgufFile f = GgufFile.open(TestModels.file("stories260K/stories260K.gguf"))) {
            headerEnd = (int) f.dataOffset();
        }
        Random random = new Random(2026);
        for (int i = 0; i < 300; i++) {
            byte[] copy = full.clone();
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                copy[random.nextInt(headerEnd)] ^= (byte) (1 << random.nextInt(8));
            }
            Path p = write("flip.gguf", copy);
            try {
                LlamaModel.open(p).close();
            } catch (GgufFormatException | ModelException e) {
                // a clear, expected refusal
            } catch (BrtException e) {
                fail("unexpected BrtException subtype " + e.getClass().getSimpleName() + ": " + e.getMessage());
            } catch (RuntimeException | OutOfMemoryError e) {
                fail("flip #" + i + " escaped as " + e, e);
            }
        }
        assertDoesNotThrow(() -> LlamaModel.open(TestModels.file("stories260K/stories260K.gguf")).close());
    }
}
