package dev.baremetalrt.core.gguf;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.WeightType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
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
 * Writes a GGUF v3 file: metadata, tensor directory, then tensor data aligned to {@link #alignment()}.
 * Tensor data is produced by a callback at write time, so models larger than memory can be written.
 * The file appears atomically (written to a temporary name, then moved).
 */
public final class GgufWriter {
    /** Produces exactly the tensor's bytes into a channel. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Value(GgufValueType type, Object value) {}

    private record Tensor(String name, WeightType type, long[] shape, long bytes, TensorData data) {}

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    public int alignment() {
        return alignment;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, requireNonNull(value, "value is null"));
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValueType.INT32, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValueType.BOOL, value);
    }

    public GgufWriter putStrings(String key, String[] values) {
        return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.STRING, values.clone()));
    }

    public GgufWriter putFloats(String key, float[] values) {
        return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.FLOAT32, values.clone()));
    }

    public GgufWriter putInt32s(String key, int[] values) {
        return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.INT32, values.clone()));
    }

    private GgufWriter put(String key, GgufValueType type, Object value) {
        requireNonNull(key, "key is null");
        if (key.equals("general.alignment")) {
            alignment = ((Number) value).intValue();
        }
        metadata.put(key, new Value(type, value));
        return this;
    }

    /** Adds a tensor; {@code data} must write exactly {@code type.byteSize(elements)} bytes. */
    public GgufWriter addTensor(String name, WeightType type, long[] shape, TensorData data) {
        long elements = 1;
        for (long d : shape) {
            elements = Math.multiplyExact(elements, d);
        }
        tensors.add(new Tensor(name, type, shape.clone(), type.byteSize(elements), data));
        return this;
    }

    /** Writes the file. */
    public void write(Path path) {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                Header header = new Header();
                header.i32(GgufFile.MAGIC).i32(3).i64(tensors.size()).i64(metadata.size());
                metadata.forEach((k, v) -> {
                    header.string(k);
                    header.i32(v.type.id());
                    header.value(v.type, v.value);
                });
                long offset = 0;
                for (Tensor t : tensors) {
                    header.string(t.name).i32(t.shape.length);
                    for (long d : t.shape) {
                        header.i64(d);
                    }
                    header.i32(t.type.ggmlTypeId()).i64(offset);
                    offset = GgufFile.alignUp(offset + t.bytes, alignment);
                }
                header.pad(alignment);
                header.writeTo(out);
                for (Tensor t : tensors) {
                    long start = out.position();
                    t.data.writeTo(out);
                    long written = out.position() - start;
                    if (written != t.bytes) {
                        throw new IllegalStateException("tensor %s: wrote %d bytes, expected %d".formatted(t.name, written, t.bytes));
                    }
                    long padding = GgufFile.alignUp(written, alignment) - written;
                    out.write(ByteBuffer.allocate((int) padding));
                }
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write GGUF file " + path + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /** Little-endian header bytes, growable. */
    private static final class Header {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(int more) {
            if (buf.remaining() < more) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + more)).order(ByteOrder.LITTLE_ENDIAN);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        Header i32(int v) {
            ensure(4);
            buf.putInt(v);
            return this;
        }

        Header i64(long v) {
            ensure(8);
            buf.putLong(v);
            return this;
        }

        Header string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            ensure(b.length);
            buf.put(b);
            return this;
        }

        void value(GgufValueType type, Object v) {
            switch (type) {
                case STRING -> string((String) v);
                case UINT32 -> i32((int) (long) (Long) v);
                case INT32 -> i32((Integer) v);
                case FLOAT32 -> {
                    ensure(4);
                    buf.putFloat((Float) v);
                }
                case BOOL -> {
                    ensure(1);
                    buf.put((byte) ((Boolean) v ? 1 : 0));
                }
                case ARRAY -> {
                    GgufArray a = (GgufArray) v;
                    i32(a.elementType().id()).i64(a.length());
                    switch (a.values()) {
                        case String[] s -> {
                            for (String x : s) {
                                string(x);
                            }
                        }
                        case float[] f -> {
                            for (float x : f) {
                                ensure(4);
                                buf.putFloat(x);
                            }
                        }
                        case int[] n -> {
                            for (int x : n) {
                                i32(x);
                            }
                        }
                        default -> throw new IllegalArgumentException("cannot write array of " + a.elementType());
                    }
                }
                default -> throw new IllegalArgumentException("cannot write metadata of type " + type);
            }
        }

        void pad(int alignment) {
            int padding = (int) (GgufFile.alignUp(buf.position(), alignment) - buf.position());
            ensure(padding);
            buf.put(new byte[padding]);
        }

        void writeTo(WritableByteChannel out) throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                out.write(buf);
            }
        }
    }
}
