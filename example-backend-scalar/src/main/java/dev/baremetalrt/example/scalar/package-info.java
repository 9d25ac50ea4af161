/**
 * The example backend of the conformance guide: Llama decoder layers in plain scalar Java, F32 and F16
 * weights only, one thread. It exists to show how little a backend needs (a provider, a backend, a shard)
 * and to pass the whole conformance suite. It trades all speed for plainness: not a product backend.
 */
package dev.baremetalrt.example.scalar;
