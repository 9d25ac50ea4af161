/**
 * The {@code cuda} backend: Llama layer ranges on NVIDIA GPUs through JCuda's driver API (only
 * {@code libcuda.so.1} / {@code nvcuda.dll} is needed, no CUDA toolkit at run time) and BareMetalRT's own
 * kernels, compiled by nvcc at build time into {@code brt_kernels.fatbin} (cubins for sm_80/86/89/90 and
 * compute_80 PTX) and loaded with {@code cuModuleLoadData}.
 *
 * <p>Contract: {@link dev.baremetalrt.backend.cuda.CudaBackendProvider#probe()} never throws and says
 * exactly what is missing (kernels not built, no driver, driver older than R580, no device, compute
 * capability below 8.0). Each shard lives on one device, with its own CUDA stream; weights are uploaded once
 * from the mapped file, KV caches live in device memory (float32, one allocation per session), and
 * running out of device memory is a {@link dev.baremetalrt.spi.BackendException} naming the layer range and
 * the sizes. Host-only logic (launch geometry, memory planning, formats) sits in classes that need no GPU so
 * that CI tests it.
 */
package dev.baremetalrt.backend.cuda;
