/**
 * The BareMetalRT runtime, pure Java: model files ({@code gguf}, {@code model}), tokenizers
 * ({@code tokenizer}), sampling ({@code sampling}), the engine that drives generation through the
 * stages of a plan and the in-process transport ({@code engine}), the synthetic-model generator
 * ({@code synth}). Depends on the SPI only.
 */
package dev.baremetalrt.core;
