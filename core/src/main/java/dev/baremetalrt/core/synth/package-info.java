/**
 * The synthetic-model generator: writes valid GGUF files of any Llama shape
 * ({@link dev.baremetalrt.core.synth.ModelShape}) and weight type with random weights from a seed, plus a
 * made-up SentencePiece vocabulary. Used by tests, benchmarks and {@code brt demo}. Same shape, type and
 * seed give a byte-identical file. Quantization follows ggml's reference algorithms
 * ({@link dev.baremetalrt.core.synth.Quantizer}).
 */
package dev.baremetalrt.core.synth;
