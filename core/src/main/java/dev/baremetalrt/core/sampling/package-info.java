/**
 * Choosing the next token from logits: {@link dev.baremetalrt.core.sampling.SamplingParams} (immutable,
 * validated) and {@link dev.baremetalrt.core.sampling.Sampler} (penalties, top-k, top-p, min-p,
 * temperature, seeded randomness — the same seed gives the same tokens), and
 * {@link dev.baremetalrt.core.sampling.StopMatcher} for stop strings in streamed text.
 */
package dev.baremetalrt.core.sampling;
