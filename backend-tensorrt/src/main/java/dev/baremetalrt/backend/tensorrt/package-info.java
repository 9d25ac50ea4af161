/**
 * The {@code tensorrt-llm} backend: a TensorRT-LLM engine run whole by its Executor. Layers, top to bottom:
 * {@link dev.baremetalrt.backend.tensorrt.TensorRtBackendProvider} (probe, settings) →
 * {@code TensorRtBackend} / {@code TensorRtShard} (whole-model only, generates through
 * {@link dev.baremetalrt.spi.TokenGenerator}) → {@code NativeExecutor} (checked arguments, a read-write lock around
 * every native call, the response thread) → {@code NativeLibrary} (the JNI layer, {@code src/main/native/jni}) →
 * the C ABI {@code src/main/native/include/brt_trtllm.h}, implemented against TensorRT-LLM's Executor API in
 * {@code src/main/native/trtllm} and by a deterministic test double in {@code src/test/native}.
 *
 * <p>Contract: no call reaches native code with an unchecked argument or a freed handle; native failures come
 * back as {@link dev.baremetalrt.spi.BackendException}s naming the engine and the request.
 */
package dev.baremetalrt.backend.tensorrt;
