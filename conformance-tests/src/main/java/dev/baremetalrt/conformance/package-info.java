/**
 * The conformance suite backend authors run, shipped as a normal jar (tests live in {@code src/main}).
 * This first part holds {@link dev.baremetalrt.conformance.ReferenceLlama}, a float64 Llama forward pass
 * written for clarity with its own dequantizer ({@link dev.baremetalrt.conformance.ReferenceWeights});
 * {@link dev.baremetalrt.conformance.BackendReferenceTest}, an abstract JUnit 5 class that compares a
 * backend with it on synthetic models of every weight type, GQA and non-GQA shapes and several stage
 * splits (rules R1-R5), and {@link dev.baremetalrt.conformance.BackendConformanceTest}, which adds the
 * lifecycle rules R6-R9 and is the class a backend author extends ({@code brt conformance} runs it through
 * {@link dev.baremetalrt.conformance.ConformanceRun}); {@link dev.baremetalrt.conformance.TransportConformanceTest}, the same for
 * {@link dev.baremetalrt.spi.Transport} implementations (rules T1-T6); {@link dev.baremetalrt.conformance.GeneratorConformanceTest}, the
 * whole-model rules G1-G8 for backends that generate tokens themselves ({@code brt conformance} picks it for them); {@link dev.baremetalrt.conformance.SharedModels}, which finds the real test models; and
 * {@link dev.baremetalrt.conformance.ArchitectureRules}, the module-dependency rules of ARCHITECTURE.md.
 */
package dev.baremetalrt.conformance;
