package dev.baremetalrt.core.model;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.json.Json;
import dev.baremetalrt.core.json.JsonException;
import dev.baremetalrt.core.json.JsonValues;
import dev.baremetalrt.spi.WeightType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped {@code .safetensors} file: an 8-byte little-endian header length, a JSON header
 * ({@code name -> {dtype, shape, data_offsets}}), then the data. Everything in the header is checked on
 * open (length, JSON, dtypes, shapes, that each tensor's byte range matches its shape and lies inside the
 * file); problems give a {@link ModelException} naming the file and the tensor.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header accepted (real headers are well under 1 MiB). */
    static final long MAX_HEADER = 100L << 20;

    /** One tensor: shape in PyTorch order ({@code [rows, columns]}), dtype name and absolute byte range. */
    public record Entry(String name, String dtype, long[] shape, long offset, long byteSize) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final Map<String, Entry> entries;

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapping, Map<String, Entry> entries) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.entries = entries;
    }

    public static SafetensorsFile open(Path path) {
        requireNonNull(path, "path is null");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            Map<String, Entry> entries = parse(path, mapping);
            SafetensorsFile file = new SafetensorsFile(path, arena, mapping, entries);
            arena = null;
            return file;
        } catch (NoSuchFileException e) {
            throw new ModelException("safetensors file %s: no such file".formatted(path));
        } catch (IOException e) {
            throw new ModelException("safetensors file %s: cannot read: %s".formatted(path, e.getMessage()));
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
    }

    private static Map<String, Entry> parse(Path path, MemorySegment mapping) {
        long size = mapping.byteSize();
        if (size < 8) {
            throw error(path, "only %d bytes: too short for a safetensors header".formatted(size));
        }
        long headerLength = mapping.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > size - 8) {
            throw error(path, "header length %s does not fit the file (%d bytes; at most %d MiB)"
                    .formatted(Long.toUnsignedString(headerLength), size, MAX_HEADER >> 20));
        }
        String json = new String(mapping.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        Map<String, Object> header;
        try {
            header = Json.parseObject(json, "header");
        } catch (JsonException e) {
            throw error(path, "header: " + e.getMessage());
        }
        long dataStart = 8 + headerLength;
        long dataSize = size - dataStart;
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            String name = e.getKey();
            String what = "safetensors file %s, tensor '%s'".formatted(path, name);
            try {
                Map<String, Object> t = JsonValues.asObject(e.getValue(), what);
                String dtype = JsonValues.string(t, "dtype", what);
                int elementBytes = elementBytes(dtype);
                if (elementBytes < 0) {
                    throw new ModelException(what + ": unknown dtype " + dtype);
                }
                List<Object> dims = JsonValues.optList(t, "shape", what).orElseThrow(() -> new ModelException(what + ": no shape"));
                long[] shape = new long[dims.size()];
                long elements = 1;
                for (int i = 0; i < shape.length; i++) {
                    if (!(dims.get(i) instanceof Long d) || d < 0 || d > (1L << 40)) {
                        throw new ModelException(what + ": dimension " + i + " is not an integer in [0, 2^40]");
                    }
                    shape[i] = d;
                    elements = Math.multiplyExact(elements, d);
                }
                List<Object> offsets = JsonValues.optList(t, "data_offsets", what).orElseThrow(() -> new ModelException(what + ": no data_offsets"));
                if (offsets.size() != 2 || !(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)) {
                    throw new ModelException(what + ": data_offsets must be two integers");
                }
                if (begin < 0 || end < begin || end > dataSize) {
                    throw new ModelException("%s: data [%d, %d) lies outside the %d bytes of data (truncated file?)".formatted(what, begin, end, dataSize));
                }
                if (end - begin != Math.multiplyExact(elements, (long) elementBytes)) {
                    throw new ModelException("%s: %d bytes of data, but %s %s needs %d".formatted(what, end - begin, dtype,
                            java.util.Arrays.toString(shape), elements * elementBytes));
                }
                entries.put(name, new Entry(name, dtype, shape, dataStart + begin, end - begin));
            } catch (JsonException | ArithmeticException ex) {
                throw new ModelException(what + ": " + ex.getMessage());
            }
        }
        return Collections.unmodifiableMap(entries);
    }

    private static ModelException error(Path path, String problem) {
        return new ModelException("safetensors file %s: %s".formatted(path, problem));
    }

    static int elementBytes(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }

    /** The weight type of a dtype BareMetalRT runs, or null. */
    static WeightType weightType(String dtype) {
        return switch (dtype) {
            case "F32" -> WeightType.F32;
            case "F16" -> WeightType.F16;
            case "BF16" -> WeightType.BF16;
            default -> null;
        };
    }

    public Path path() {
        return path;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public MemorySegment data(Entry e) {
        return mapping.asSlice(e.offset(), e.byteSize());
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
