/**
 * The {@code djl} backend: Llama decoder layer ranges as DJL NDArray operations on PyTorch 2.7.1 (DJL
 * 0.35.1). {@link dev.baremetalrt.backend.djl.DjlBackendProvider} is the entry point found by
 * {@code ServiceLoader}; {@code PyTorchRuntime} starts the engine offline (libtorch from the
 * {@code pytorch-native-cpu} jar on the class path, unpacked to DJL's cache folder, never downloaded) and
 * explains why when it cannot; {@code LlamaLayers} holds a shard's weights as float32 NDArrays and the
 * layer math; {@code KvCache} keeps one session's keys and values; {@code BlockDecoder} widens ggml's
 * block-quantized types at load.
 *
 * <p>Contract: the SPI's. Compute is float32 on the chosen device (CPU, or a CUDA device when the libtorch
 * on the class path is a CUDA build); every weight type loads, quantized ones at 4 bytes per weight.
 */
package dev.baremetalrt.backend.djl;
