/**
 * A small strict JSON reader for the model files that come as JSON ({@code config.json}, safetensors
 * headers, {@code tokenizer.json}), and {@link dev.baremetalrt.core.json.JsonWriter}, which writes JSON the
 * way Python's {@code json.dumps} does. Values become {@code Map<String, Object>} (insertion-ordered),
 * {@code List<Object>}, {@code String}, {@code Long} (integers that fit) or {@code Double}, {@code Boolean}
 * and {@code null}. Malformed input, nesting deeper than 256 and numbers out of range give a
 * {@link dev.baremetalrt.core.json.JsonException} with the offset; nothing else escapes.
 */
package dev.baremetalrt.core.json;
