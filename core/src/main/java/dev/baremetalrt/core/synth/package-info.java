/**
 * The synthetic-model generator: writes valid GGUF files
 * ({@link dev.baremetalrt.core.synth.SyntheticModelGenerator}) and Hugging Face directories
 * ({@link dev.baremetalrt.core.synth.SyntheticHfModelGenerator}) of any Llama shape
 * ({@link dev.baremetalrt.core.synth.ModelShape}) with random weights from a seed, plus a made-up
 * SentencePiece vocabulary. The same shape and seed give the same model in both formats (the HF one
 * stores q/k rows in rotate-half order, as transformers does). Used by tests, benchmarks and {@code brt demo}. Same shape, type and
 * seed give a byte-identical file. Quantization follows ggml's reference algorithms
 * ({@link dev.baremetalrt.core.synth.Quantizer}).
 */
package dev.baremetalrt.core.synth;
