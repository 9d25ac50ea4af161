package dev.baremetalrt.core.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads little-endian values from a segment, checking every read against the end of the file so that a
 * truncated or lying file produces a {@link GgufFormatException}, never an index or allocation error.
 */
final class GgufCursor {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment segment;
    private final long size;
    private long position;
    private String context = "header";

    GgufCursor(Path file, MemorySegment segment) {
        this.file = file;
        this.segment = segment;
        this.size = segment.byteSize();
    }

    long position() {
        return position;
    }

    long remaining() {
        return size - position;
    }

    /** What is being read, for error messages (e.g. "metadata key 'general.name'"). */
    void context(String what) {
        this.context = what;
    }

    GgufFormatException error(String problem) {
        return new GgufFormatException(file, problem);
    }

    private long take(long bytes) {
        if (bytes < 0 || bytes > remaining()) {
            throw error("truncated while reading %s: needs %d bytes at offset %d, file has %d bytes".formatted(context, bytes, position, size));
        }
        long at = position;
        position += bytes;
        return at;
    }

    int u8() {
        return segment.get(ValueLayout.JAVA_BYTE, take(1)) & 0xFF;
    }

    int i8() {
        return segment.get(ValueLayout.JAVA_BYTE, take(1));
    }

    int u16() {
        return segment.get(U16, take(2)) & 0xFFFF;
    }

    int i16() {
        return segment.get(U16, take(2));
    }

    int i32() {
        return segment.get(U32, take(4));
    }

    long u32() {
        return Integer.toUnsignedLong(i32());
    }

    long i64() {
        return segment.get(U64, take(8));
    }

    float f32() {
        return segment.get(F32, take(4));
    }

    double f64() {
        return segment.get(F64, take(8));
    }

    /** An unsigned 64-bit count that must not exceed {@code max}. */
    long count(String what, long max) {
        long n = i64();
        if (n < 0 || n > max) {
            throw error("%s is %s, more than the file can hold (at most %d)".formatted(what, Long.toUnsignedString(n), max));
        }
        return n;
    }

    String string() {
        long length = i64();
        if (length < 0 || length > remaining() || length > Integer.MAX_VALUE - 16) {
            throw error("string length %s in %s at offset %d exceeds the %d bytes left in the file"
                    .formatted(Long.toUnsignedString(length), context, position - 8, remaining()));
        }
        long at = take(length);
        byte[] bytes = segment.asSlice(at, length).toArray(ValueLayout.JAVA_BYTE);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            // Real vocabularies contain a few pieces that are not valid UTF-8 on their own; keep them readable.
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    void seek(long newPosition) {
        if (newPosition < 0 || newPosition > size) {
            throw error("offset %d is outside the file (%d bytes)".formatted(newPosition, size));
        }
        position = newPosition;
    }
}
