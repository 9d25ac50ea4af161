/**
 * The {@code cpu} backend: pure Java, the embedded default. Weights are read straight from the
 * memory-mapped model file in their stored type — one {@link dev.baremetalrt.backend.cpu.WeightMatrix}
 * subclass per type (F32, F16, BF16, Q8_0, Q4_0) — with Vector API kernels
 * ({@link dev.baremetalrt.backend.cpu.VectorKernels}) and a scalar tail. When the Vector API is missing
 * (JVM started without {@code --add-modules jdk.incubator.vector}) or vectors are narrower than 256 bits,
 * the backend says so loudly and runs the scalar code. Matrix work is split over a fixed pool of
 * threads ({@link dev.baremetalrt.backend.cpu.Parallel}); prefill multiplies several positions per
 * weight row read. Settings: {@code brt.cpu.vector} / {@code BRT_CPU_VECTOR} = {@code false} forces the
 * scalar kernels.
 */
package dev.baremetalrt.backend.cpu;
