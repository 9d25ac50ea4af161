// BareMetalRT's CUDA kernels for the Llama decoder, loaded by CudaKernels with cuModuleLoadData. This file
// holds the extern "C" entry points and the per-layer operations; formats.cuh how each weight format is
// read, matrix.cuh the matrix products written once over those readers.
//
// Activations are float32 row-major [positions, width]. Weights keep their GGUF encoding on the device,
// except Q8_0 and Q4_0 whose 34- and 18-byte blocks are split at load (repack_*) into a quant array and
// a scale array, so that lanes read aligned 16-byte words. Kernel names carry the format: gemv_q8_0,
// gemm_tc_f16, embed_q4_k, ...
#include "formats.cuh"
#include "matrix.cuh"

#define GEMV_THREADS 128
#define FOR_EACH_FORMAT(X) X(f32, F32) X(f16, F16) X(bf16, BF16) X(q8_0, Q8_0) X(q4_0, Q4_0) X(q4_k, Q4_K) X(q5_k, Q5_K) X(q6_k, Q6_K) X(q8_k, Q8_K)
#define DEFINE_MATRIX_KERNELS(name, FMT)                                                                                     \
    extern "C" __global__ void __launch_bounds__(GEMV_THREADS) gemv_##name(const uint8_t* w, const uint8_t* s, const float* x, \
                                                                           float* y, int rows, int cols, int n) {           \
        gemv_impl<FMT, GEMV_ROWS_PER_WARP, GEMV_MAX_POSITIONS>(w, s, x, y, rows, cols, n);                                   \
    }                                                                                                                        \
    extern "C" __global__ void __launch_bounds__(256, 4) gemv1_##name(const uint8_t* w, const uint8_t* s, const float* x,  \
                                                                      float* y, int rows, int cols, int n) {                \
        gemv_impl<FMT, 1, 1>(w, s, x, y, rows, cols, 1);                                                                     \
    }                                                                                                                        \
    extern "C" __global__ void __launch_bounds__(256, 2) gemv4_##name(const uint8_t* w, const uint8_t* s, const float* x,  \
                                                                      float* y, int rows, int cols, int n) {                \
        gemv_impl<FMT, 4, 1>(w, s, x, y, rows, cols, 1);                                                                     \
    }                                                                                                                        \
    extern "C" __global__ void __launch_bounds__(256, 2) gemv2_##name(const uint8_t* w, const uint8_t* s, const float* x,  \
                                                                      float* y, int rows, int cols, int n) {                \
        gemv_impl<FMT, 2, 1>(w, s, x, y, rows, cols, 1);                                                                     \
    }                                                                                                                        \
    extern "C" __global__ void __launch_bounds__(256) gemm_##name(const uint8_t* w, const uint8_t* s, const float* x, float* y, \
                                                                  int rows, int cols, int n) {                               \
        gemm_impl<FMT>(w, s, x, y, rows, cols, n);                                                                           \
    }                                                                                                                        \
    extern "C" __global__ void __launch_bounds__(256) gemm_tc_##name(const uint8_t* w, const uint8_t* s, const float* x,     \
                                                                     float* y, int rows, int cols, int n) {                 \
        gemm_tc_impl<FMT>(w, s, x, y, rows, cols, n);                                                                        \
    }                                                                                                                        \
    extern "C" __global__ void embed_##name(const uint8_t* w, const uint8_t* s, const int* tokens, float* out, int cols) {     \
        embed_impl<FMT>(w, s, tokens, out, cols);                                                                            \
    }
FOR_EACH_FORMAT(DEFINE_MATRIX_KERNELS)

#define DEFINE_SCALAR_GEMV(name, FMT)                                                                                         \
    extern "C" __global__ void __launch_bounds__(GEMV_THREADS) gemv_scalar_##name(const uint8_t* w, const uint8_t* s, const float* x, \
                                                                                  float* y, int rows, int cols, int n) {    \
        gemv_scalar_impl<FMT>(w, x, y, rows, cols, n);                                                                       \
    }
DEFINE_SCALAR_GEMV(f32, F32)
DEFINE_SCALAR_GEMV(f16, F16)
DEFINE_SCALAR_GEMV(bf16, BF16)

// Splits GGUF blocks {f16 d; QUANT_BYTES of quants} into the quants (QUANT_BYTES per block, contiguous)
// and the scales (2 bytes per block). One thread per block.
template <int QUANT_BYTES>
__device__ __forceinline__ void repack_impl(const uint8_t* raw, uint8_t* qs, uint8_t* scales, long blocks) {
    long b = (long) blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= blocks) return;
    const uint8_t* src = raw + b * (2 + QUANT_BYTES);
    scales[2 * b] = src[0];
    scales[2 * b + 1] = src[1];
    for (int i = 0; i < QUANT_BYTES; i++) qs[b * QUANT_BYTES + i] = src[2 + i];
}

extern "C" __global__ void repack_q8_0(const uint8_t* raw, uint8_t* qs, uint8_t* scales, long blocks) {
    repack_impl<32>(raw, qs, scales, blocks);
}

extern "C" __global__ void repack_q4_0(const uint8_t* raw, uint8_t* qs, uint8_t* scales, long blocks) {
    repack_impl<16>(raw, qs, scales, blocks);
}

// out[j, :] = x[rows[j], :] / rms(x[rows[j], :]) * weight; rows == null means j. One block per row.
extern "C" __global__ void rms_norm(const float* __restrict__ x, const int* __restrict__ rows, const float* __restrict__ weight,
                                    float* __restrict__ out, int dim, float eps) {
    __shared__ float partial[32];
    int j = blockIdx.x;
    const float* xr = x + (long) (rows ? rows[j] : j) * dim;
    float ss = 0.f;
    // unrolled so that the loads of several iterations are in flight at once (latency, not bandwidth, bounds one row)
#pragma unroll 8
    for (int c = threadIdx.x; c < dim; c += blockDim.x) ss += xr[c] * xr[c];
    ss = warp_sum(ss);
    if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = ss;
    __syncthreads();
    if (threadIdx.x < 32) {
        float t = threadIdx.x < (blockDim.x + 31) / 32 ? partial[threadIdx.x] : 0.f;
        t = warp_sum(t);
        if (threadIdx.x == 0) partial[0] = t;
    }
    __syncthreads();
    float scale = rsqrtf(partial[0] / dim + eps);
#pragma unroll 8
    for (int c = threadIdx.x; c < dim; c += blockDim.x) out[(long) j * dim + c] = xr[c] * scale * weight[c];
}

// Rotates the pairs (x[2p], x[2p+1]) of every head of row i by positions[i] * invFreq[p] (GGUF's
// interleaved layout), for p < pairs. Angles in double: positions reach 10^5 and more.
extern "C" __global__ void rope(float* __restrict__ x, const int* __restrict__ positions, const float* __restrict__ invFreq,
                                int heads, int headDim, int pairs) {
    int i = blockIdx.x;
    double pos = positions[i];
    for (int t = threadIdx.x; t < heads * pairs; t += blockDim.x) {
        int h = t / pairs, p = t % pairs;
        double sn, cs;
        sincos(pos * (double) invFreq[p], &sn, &cs);
        float c = (float) cs, s = (float) sn;
        float* at = x + (long) i * heads * headDim + h * headDim + 2 * p;
        float a = at[0], b = at[1];
        at[0] = a * c - b * s;
        at[1] = a * s + b * c;
    }
}

// A session's cache is one allocation [layers][2][capacity][kvDim] of floats; caches[i] is the cache of
// row i's session. Stores row i's k and v at its position in layer `layer`.
extern "C" __global__ void kv_store(const float* __restrict__ k, const float* __restrict__ v, const unsigned long long* __restrict__ caches,
                                    const int* __restrict__ positions, int layer, int capacity, int kvDim) {
    int i = blockIdx.x;
    float* base = reinterpret_cast<float*>(caches[i]);
    float* kd = base + ((long) (2 * layer) * capacity + positions[i]) * kvDim;
    float* vd = base + ((long) (2 * layer + 1) * capacity + positions[i]) * kvDim;
    for (int c = threadIdx.x; c < kvDim; c += blockDim.x) {
        kd[c] = k[(long) i * kvDim + c];
        vd[c] = v[(long) i * kvDim + c];
    }
}

// Causal attention of row i, head h over its session's positions 0..positions[i]. Grid (heads, rows);
// each warp takes every (blockDim/32)-th key with an online softmax (split-K over the sequence), then the
// warps' partial results are merged. headDim <= 256. Dynamic shared memory: warps * headDim floats.
extern "C" __global__ void attention(const float* __restrict__ q, float* __restrict__ out, const unsigned long long* __restrict__ caches,
                                     const int* __restrict__ positions, int layer, int capacity, int heads, int kvHeads,
                                     int headDim, float scale) {
    extern __shared__ float partialAcc[];
    __shared__ float partialMax[32], partialSum[32];
    int h = blockIdx.x, i = blockIdx.y;
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    int pos = positions[i];
    int kvDim = kvHeads * headDim;
    int kvHead = h / (heads / kvHeads);
    const float* base = reinterpret_cast<const float*>(caches[i]);
    const float* keys = base + (long) (2 * layer) * capacity * kvDim + kvHead * headDim;
    const float* values = base + (long) (2 * layer + 1) * capacity * kvDim + kvHead * headDim;
    const float* qi = q + (long) i * heads * headDim + h * headDim;
    float qv[8], acc[8];
#pragma unroll
    for (int j = 0; j < 8; j++) {
        int e = lane + 32 * j;
        qv[j] = e < headDim ? qi[e] : 0.f;
        acc[j] = 0.f;
    }
    float m = -INFINITY, l = 0.f;
    for (int t = warp; t <= pos; t += warps) {
        const float* kt = keys + (long) t * kvDim;
        float sc = 0.f;
#pragma unroll
        for (int j = 0; j < 8; j++) {
            int e = lane + 32 * j;
            if (e < headDim) sc += qv[j] * kt[e];
        }
        sc = warp_sum(sc) * scale;
        float mNew = fmaxf(m, sc);
        float correction = expf(m - mNew);
        float p = expf(sc - mNew);
        l = l * correction + p;
        const float* vt = values + (long) t * kvDim;
#pragma unroll
        for (int j = 0; j < 8; j++) {
            int e = lane + 32 * j;
            acc[j] = acc[j] * correction + (e < headDim ? p * vt[e] : 0.f);
        }
        m = mNew;
    }
    if (lane == 0) {
        partialMax[warp] = m;
        partialSum[warp] = l;
    }
#pragma unroll
    for (int j = 0; j < 8; j++) {
        int e = lane + 32 * j;
        if (e < headDim) partialAcc[warp * headDim + e] = acc[j];
    }
    __syncthreads();
    for (int e = threadIdx.x; e < headDim; e += blockDim.x) {
        float mAll = -INFINITY;
        for (int w = 0; w < warps; w++) mAll = fmaxf(mAll, partialMax[w]);
        float sum = 0.f, a = 0.f;
        for (int w = 0; w < warps; w++) {
            if (partialMax[w] == -INFINITY) continue; // this warp had no keys
            float f = expf(partialMax[w] - mAll);
            sum += partialSum[w] * f;
            a += partialAcc[w * headDim + e] * f;
        }
        out[(long) i * heads * headDim + h * headDim + e] = a / sum;
    }
}

// gate = silu(gate) * up.
extern "C" __global__ void silu_mul(float* __restrict__ gate, const float* __restrict__ up, long n) {
    long i = (long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        float g = gate[i];
        gate[i] = g / (1.f + expf(-g)) * up[i];
    }
}

// x += y.
extern "C" __global__ void add_in_place(float* __restrict__ x, const float* __restrict__ y, long n) {
    long i = (long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] += y[i];
}
