/**
 * The {@code cpu} backend: pure Java, the embedded default. Weights are read straight from the
 * memory-mapped model file in their stored type — one {@link dev.baremetalrt.backend.cpu.WeightMatrix}
 * subclass per type (F32, F16, BF16, Q8_0, Q4_0, and the K-quants Q4_K, Q5_K, Q6_K, Q8_K) — with Vector API
 * kernels ({@link dev.baremetalrt.backend.cpu.VectorKernels}, {@link dev.baremetalrt.backend.cpu.KQuantKernels},
 * {@link dev.baremetalrt.backend.cpu.AttentionKernels}) and a scalar tail. When the Vector API is missing
 * (JVM started without {@code --add-modules jdk.incubator.vector}) or vectors are narrower than 256 bits,
 * the backend says so loudly and runs the scalar code. Matrix work is split over a fixed pool of
 * threads ({@link dev.baremetalrt.backend.cpu.Parallel}). One position at a time, fused kernels read each
 * row in its stored type; from a few positions on (prefill, or a batch of decode streams;
 * {@link dev.baremetalrt.backend.cpu.WeightMatrix#gemmFromPositions}) rows are widened to floats a tile
 * at a time and multiplied with all positions in register tiles. Settings: {@code brt.cpu.vector} / {@code BRT_CPU_VECTOR} = {@code false} forces the
 * scalar kernels.
 */
package dev.baremetalrt.backend.cpu;
