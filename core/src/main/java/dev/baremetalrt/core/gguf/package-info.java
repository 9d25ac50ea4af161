/**
 * GGUF v2/v3 files: {@link dev.baremetalrt.core.gguf.GgufFile} maps a file with
 * {@link java.lang.foreign.MemorySegment} (any size) and validates everything it reads — magic, version,
 * counts, string lengths, value types, dimensions, tensor types, offsets and alignment — so that a
 * corrupt or truncated file gives a {@link dev.baremetalrt.core.gguf.GgufFormatException} naming the file
 * and the problem, never an unchecked exception or an out-of-memory error.
 * {@link dev.baremetalrt.core.gguf.GgufWriter} writes valid files (used by the synthetic-model generator).
 */
package dev.baremetalrt.core.gguf;
