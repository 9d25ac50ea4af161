package dev.baremetalrt.core.model;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.gguf.GgufWriter;
import dev.baremetalrt.core.json.JsonWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one {@code .safetensors} file, as the {@code safetensors} library does: the header JSON padded with
 * spaces to a multiple of 8 bytes, then each tensor's bytes in the order added. The file appears atomically
 * (written to a temporary name, then moved).
 */
public final class SafetensorsWriter {
    private record Tensor(String name, String dtype, long[] shape, long bytes, GgufWriter.TensorData data) {}

    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a tensor; {@code shape} in PyTorch order ({@code [rows, columns]}). */
    public SafetensorsWriter add(String name, String dtype, long[] shape, GgufWriter.TensorData data) {
        requireNonNull(name, "name is null");
        requireNonNull(data, "data is null");
        int elementBytes = SafetensorsFile.elementBytes(requireNonNull(dtype, "dtype is null"));
        if (elementBytes < 0) {
            throw new IllegalArgumentException("tensor %s: unknown dtype %s".formatted(name, dtype));
        }
        long elements = 1;
        for (long d : shape) {
            elements = Math.multiplyExact(elements, d);
        }
        tensors.add(new Tensor(name, dtype, shape.clone(), elements * elementBytes, data));
        return this;
    }

    /** A {@code __metadata__} entry (transformers writes {@code format: pt}). */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(requireNonNull(key, "key is null"), requireNonNull(value, "value is null"));
        return this;
    }

    /** Bytes of tensor data added so far. */
    public long dataBytes() {
        return tensors.stream().mapToLong(Tensor::bytes).sum();
    }

    public boolean isEmpty() {
        return tensors.isEmpty();
    }

    public List<String> names() {
        return tensors.stream().map(Tensor::name).toList();
    }

    public void write(Path path) {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                byte[] header = header();
                ByteBuffer start = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                start.putLong(header.length).put(header).flip();
                while (start.hasRemaining()) {
                    out.write(start);
                }
                for (Tensor t : tensors) {
                    long before = out.position();
                    t.data.writeTo(out);
                    if (out.position() - before != t.bytes) {
                        throw new IllegalStateException("tensor %s: wrote %d bytes, expected %d".formatted(t.name, out.position() - before, t.bytes));
                    }
                }
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write safetensors file " + path + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    private byte[] header() {
        Map<String, Object> json = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            json.put("__metadata__", metadata);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype);
            entry.put("shape", java.util.Arrays.stream(t.shape).boxed().toList());
            entry.put("data_offsets", List.of(offset, offset + t.bytes));
            json.put(t.name, entry);
            offset += t.bytes;
        }
        byte[] text = JsonWriter.write(json, 0).getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) & ~7;
        byte[] header = new byte[padded];
        java.util.Arrays.fill(header, (byte) ' ');
        System.arraycopy(text, 0, header, 0, text.length);
        return header;
    }
}
