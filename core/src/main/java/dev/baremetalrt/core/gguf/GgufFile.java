package dev.baremetalrt.core.gguf;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.WeightType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A memory-mapped GGUF v2/v3 file: its metadata and tensor directory, validated on open. Tensor data
 * stays in the mapping (read-only, shared arena) until {@link #close()}.
 *
 * <p>Metadata values are boxed Java values: {@code Integer} for 8/16-bit and INT32 types, {@code Long}
 * for UINT32, INT64 and UINT64 (UINT64 above {@code Long.MAX_VALUE} reads negative), {@code Float},
 * {@code Double}, {@code Boolean}, {@code String} and {@link GgufArray}.
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian uint32. */
    static final int MAGIC = 0x46554747;
    static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufTensorInfo> tensors;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, int version, Map<String, Object> metadata,
                     Map<String, GgufTensorInfo> tensors, int alignment, long dataOffset) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
    }

    /**
     * Maps and validates a GGUF file.
     *
     * @throws GgufFormatException when the file is missing, unreadable, corrupt or truncated
     */
    public static GgufFile open(Path path) {
        requireNonNull(path, "path is null");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping;
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            }
            GgufFile file = parse(path, arena, mapping);
            arena = null; // now owned by the file
            return file;
        } catch (NoSuchFileException e) {
            throw new GgufFormatException(path, "no such file");
        } catch (IOException e) {
            throw new GgufFormatException(path, "cannot read: " + e.getMessage());
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment mapping) {
        GgufCursor in = new GgufCursor(path, mapping);
        if (mapping.byteSize() < 4) {
            throw in.error("only %d bytes: too short to be a GGUF file".formatted(mapping.byteSize()));
        }
        in.context("magic");
        int magic = in.i32();
        if (magic != MAGIC) {
            throw in.error("bad magic 0x%08x: not a GGUF file (expected the bytes 'GGUF')".formatted(magic));
        }
        in.context("version");
        int version = in.i32();
        if (version == 1) {
            throw in.error("GGUF version 1 is not supported (only 2 and 3): re-convert the model with a current llama.cpp");
        }
        if (version != 2 && version != 3) {
            String hint = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3 ? " (a big-endian file?)" : "";
            throw in.error("unsupported GGUF version %d%s; supported: 2 and 3".formatted(version, hint));
        }
        in.context("tensor count");
        long tensorCount = in.count("tensor count", in.remaining() / 32);
        in.context("metadata count");
        long kvCount = in.count("metadata key/value count", in.remaining() / 13);

        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            in.context("metadata key #" + i);
            String key = in.string();
            in.context("metadata key '" + key + "'");
            if (metadata.containsKey(key)) {
                throw in.error("metadata key '%s' appears twice".formatted(key));
            }
            int typeId = in.i32();
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) {
                throw in.error("metadata key '%s' has unknown value type %d".formatted(key, typeId));
            }
            metadata.put(key, readValue(in, type, key, 0));
        }

        int alignment = DEFAULT_ALIGNMENT;
        Object alignValue = metadata.get("general.alignment");
        if (alignValue != null) {
            long a = alignValue instanceof Number n ? n.longValue() : -1;
            if (!(alignValue instanceof Integer || alignValue instanceof Long) || a <= 0 || a > (1 << 20) || Long.bitCount(a) != 1) {
                throw in.error("general.alignment must be a power of two up to 1 MiB, got " + alignValue);
            }
            alignment = (int) a;
        }

        record RawTensor(String name, long[] shape, WeightType type, long offset) {}
        RawTensor[] raw = new RawTensor[(int) tensorCount];
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < tensorCount; i++) {
            in.context("tensor #" + i);
            String name = in.string();
            in.context("tensor '" + name + "'");
            if (!names.add(name)) {
                throw in.error("tensor '%s' appears twice".formatted(name));
            }
            long dims = in.u32();
            if (dims < 1 || dims > MAX_DIMS) {
                throw in.error("tensor '%s' has %d dimensions (1 to %d allowed)".formatted(name, dims, MAX_DIMS));
            }
            long[] shape = new long[(int) dims];
            long elements = 1;
            for (int d = 0; d < dims; d++) {
                shape[d] = in.i64();
                if (shape[d] <= 0 || shape[d] > (1L << 40)) {
                    throw in.error("tensor '%s' dimension %d is %s (must be between 1 and 2^40)".formatted(name, d, Long.toUnsignedString(shape[d])));
                }
                if (elements > Long.MAX_VALUE / shape[d]) {
                    throw in.error("tensor '%s' has too many elements".formatted(name));
                }
                elements *= shape[d];
            }
            int typeId = in.i32();
            WeightType type = WeightType.fromGgmlTypeId(typeId).orElseThrow(() -> in.error(
                    "tensor '%s' has type %s, which BareMetalRT does not read (supported: %s)"
                            .formatted(name, GgmlTypeNames.describe(typeId), java.util.Arrays.toString(WeightType.values()))));
            if (shape[0] % type.blockSize() != 0) {
                throw in.error("tensor '%s': row length %d is not a multiple of the %s block size %d".formatted(name, shape[0], type, type.blockSize()));
            }
            long offset = in.i64();
            raw[i] = new RawTensor(name, shape, type, offset);
        }

        long dataOffset = alignUp(in.position(), alignment);
        long fileSize = mapping.byteSize();
        if (tensorCount > 0 && dataOffset > fileSize) {
            throw in.error("tensor data would start at offset %d, past the end of the file (%d bytes)".formatted(dataOffset, fileSize));
        }
        Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
        for (RawTensor t : raw) {
            long elements = 1;
            for (long d : t.shape) {
                elements *= d;
            }
            long bytes = t.type.byteSize(elements);
            if (t.offset < 0 || t.offset % alignment != 0) {
                throw in.error("tensor '%s' offset %s is not a multiple of the alignment %d".formatted(t.name, Long.toUnsignedString(t.offset), alignment));
            }
            if (t.offset > fileSize - dataOffset || bytes > fileSize - dataOffset - t.offset) {
                throw in.error("tensor '%s' data [%d, %d) lies outside the file's %d bytes (truncated file?)"
                        .formatted(t.name, dataOffset + t.offset, dataOffset + t.offset + bytes, fileSize));
            }
            tensors.put(t.name, new GgufTensorInfo(t.name, t.shape, t.type, dataOffset + t.offset, bytes));
        }
        return new GgufFile(path, arena, mapping, version, Collections.unmodifiableMap(metadata),
                Collections.unmodifiableMap(tensors), alignment, dataOffset);
    }

    private static Object readValue(GgufCursor in, GgufValueType type, String key, int depth) {
        return switch (type) {
            case UINT8 -> in.u8();
            case INT8 -> in.i8();
            case UINT16 -> in.u16();
            case INT16 -> in.i16();
            case UINT32 -> in.u32();
            case INT32 -> in.i32();
            case FLOAT32 -> in.f32();
            case BOOL -> {
                int b = in.u8();
                if (b > 1) {
                    throw in.error("metadata key '%s': boolean value %d is neither 0 nor 1".formatted(key, b));
                }
                yield b == 1;
            }
            case STRING -> in.string();
            case UINT64, INT64 -> in.i64();
            case FLOAT64 -> in.f64();
            case ARRAY -> readArray(in, key, depth);
        };
    }

    private static GgufArray readArray(GgufCursor in, String key, int depth) {
        if (depth > 4) {
            throw in.error("metadata key '%s': arrays nested more than 4 deep".formatted(key));
        }
        int typeId = in.i32();
        GgufValueType type = GgufValueType.byId(typeId);
        if (type == null) {
            throw in.error("metadata key '%s': array of unknown type %d".formatted(key, typeId));
        }
        int n = (int) in.count("metadata key '%s': array length".formatted(key), Math.min(Integer.MAX_VALUE - 16, in.remaining() / type.minSize()));
        Object values = switch (type) {
            case UINT8, INT8, UINT16, INT16, INT32 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (Integer) readValue(in, type, key, depth);
                }
                yield a;
            }
            case UINT32, UINT64, INT64 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (Long) readValue(in, type, key, depth);
                }
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.f32();
                }
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.f64();
                }
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (Boolean) readValue(in, type, key, depth);
                }
                yield a;
            }
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.string();
                }
                yield a;
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[n];
                for (int i = 0; i < n; i++) {
                    a[i] = readArray(in, key, depth + 1);
                }
                yield a;
            }
        };
        return new GgufArray(type, values);
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** Offset of the tensor data section. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return mapping.byteSize();
    }

    /** All metadata, in file order. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** All tensors, in file order. */
    public Map<String, GgufTensorInfo> tensors() {
        return tensors;
    }

    /** The bytes of a tensor (a slice of the mapping, valid until {@link #close()}). */
    public MemorySegment tensorData(GgufTensorInfo tensor) {
        return mapping.asSlice(tensor.fileOffset(), tensor.byteSize());
    }

    public Optional<Object> value(String key) {
        return Optional.ofNullable(metadata.get(key));
    }

    public Optional<String> string(String key) {
        return value(key).map(v -> typed(key, v, String.class, "a string"));
    }

    /** An integer value of any integer type that fits in an {@code int}. */
    public Optional<Integer> integer(String key) {
        return value(key).map(v -> {
            if ((v instanceof Integer || v instanceof Long) && ((Number) v).longValue() == ((Number) v).intValue()) {
                return ((Number) v).intValue();
            }
            throw new GgufFormatException(path, "metadata key '%s' is %s, expected an integer that fits 32 bits".formatted(key, describe(v)));
        });
    }

    /** A floating-point value (F32 or F64). */
    public Optional<Float> floating(String key) {
        return value(key).map(v -> {
            if (v instanceof Float || v instanceof Double) {
                return ((Number) v).floatValue();
            }
            throw new GgufFormatException(path, "metadata key '%s' is %s, expected a float".formatted(key, describe(v)));
        });
    }

    public Optional<Boolean> bool(String key) {
        return value(key).map(v -> typed(key, v, Boolean.class, "a boolean"));
    }

    /** An array whose element values are of the given primitive array class, e.g. {@code String[].class}. */
    public <T> Optional<T> array(String key, Class<T> arrayType) {
        return value(key).map(v -> {
            if (v instanceof GgufArray a && arrayType.isInstance(a.values())) {
                return arrayType.cast(a.values());
            }
            throw new GgufFormatException(path, "metadata key '%s' is %s, expected an array of %s"
                    .formatted(key, describe(v), arrayType.getComponentType().getSimpleName()));
        });
    }

    private <T> T typed(String key, Object v, Class<T> type, String expected) {
        if (type.isInstance(v)) {
            return type.cast(v);
        }
        throw new GgufFormatException(path, "metadata key '%s' is %s, expected %s".formatted(key, describe(v), expected));
    }

    private static String describe(Object v) {
        return v instanceof GgufArray a ? "an array of " + a.elementType() : "a " + v.getClass().getSimpleName();
    }

    /** Unmaps the file. Segments handed out before become unusable. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GGUF v%d %s (%d tensors, %d metadata keys)".formatted(version, path, tensors.size(), metadata.size());
    }
}
