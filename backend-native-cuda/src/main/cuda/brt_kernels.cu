// BareMetalRT's CUDA kernels for the Llama decoder: one file, loaded by CudaKernels with cuModuleLoadData.
//
// Activations are float32 row-major [positions, width]. Weights keep their GGUF encoding on the device,
// except Q8_0 and Q4_0 whose 34- and 18-byte blocks are split at load (repack_*) into a quant array and
// a scale array, so that every lane reads aligned 8-byte words. Every weight format has one dequant8:
// eight consecutive values starting at an element index that is a multiple of 8. The matrix kernels are
// written once over it and instantiated per format (extern "C" names: gemv_q8_0, gemm_f16, ...).
#include <cuda_fp16.h>
#include <mma.h>
#include <stdint.h>

enum Format { F32 = 0, F16 = 1, BF16 = 2, Q8_0 = 3, Q4_0 = 4, Q4_K = 5, Q5_K = 6, Q6_K = 7, Q8_K = 8 };

// Most positions one gemv launch multiplies; the host splits larger batches or uses gemm.
#define GEMV_MAX_POSITIONS 8

__device__ __forceinline__ float half_at(const uint8_t* p) {
    return __half2float(*reinterpret_cast<const __half*>(p));
}

__device__ __forceinline__ float bf16_bits(uint32_t bits16) {
    return __uint_as_float(bits16 << 16);
}

// ggml's get_scale_min_k4: 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes q.
__device__ __forceinline__ void scale_min_k4(int j, const uint8_t* q, int* sc, int* m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// Eight values of a weight tensor from element index idx (a multiple of 8). w: the data (quants for the
// repacked Q8_0/Q4_0); s: their scales (unused otherwise).
template <int FMT>
__device__ __forceinline__ void dequant8(const uint8_t* __restrict__ w, const uint8_t* __restrict__ s, long idx, float* v) {
    if (FMT == F32) {
        const float4* p = reinterpret_cast<const float4*>(w) + idx / 4;
        float4 a = p[0], b = p[1];
        v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w; v[4] = b.x; v[5] = b.y; v[6] = b.z; v[7] = b.w;
    } else if (FMT == F16) {
        uint4 u = *reinterpret_cast<const uint4*>(w + idx * 2);
        const __half2* h = reinterpret_cast<const __half2*>(&u);
#pragma unroll
        for (int i = 0; i < 4; i++) {
            float2 f = __half22float2(h[i]);
            v[2 * i] = f.x;
            v[2 * i + 1] = f.y;
        }
    } else if (FMT == BF16) {
        uint4 u = *reinterpret_cast<const uint4*>(w + idx * 2);
        uint32_t words[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            v[2 * i] = bf16_bits(words[i] & 0xFFFF);
            v[2 * i + 1] = bf16_bits(words[i] >> 16);
        }
    } else if (FMT == Q8_0) {
        float d = __half2float(reinterpret_cast<const __half*>(s)[idx / 32]);
        uint2 u = *reinterpret_cast<const uint2*>(w + idx);
        const int8_t* q = reinterpret_cast<const int8_t*>(&u);
#pragma unroll
        for (int i = 0; i < 8; i++) v[i] = d * q[i];
    } else if (FMT == Q4_0) {
        long block = idx / 32;
        int k = (int) (idx % 32) / 8; // 0,1: low nibbles of bytes 0-7, 8-15; 2,3: high nibbles
        float d = __half2float(reinterpret_cast<const __half*>(s)[block]);
        uint2 u = *reinterpret_cast<const uint2*>(w + block * 16 + (k & 1) * 8);
        const uint8_t* q = reinterpret_cast<const uint8_t*>(&u);
        int shift = k >= 2 ? 4 : 0;
#pragma unroll
        for (int i = 0; i < 8; i++) v[i] = d * (float) (((q[i] >> shift) & 0xF) - 8);
    } else if (FMT == Q4_K || FMT == Q5_K) {
        const int bytes = FMT == Q4_K ? 144 : 176;
        const uint8_t* b = w + (idx / 256) * bytes;
        int e = (int) (idx % 256);
        int c = e / 64, within = e % 64, hi = within >= 32, l = within % 32;
        int sc, m;
        scale_min_k4(2 * c + hi, b + 4, &sc, &m);
        float d = half_at(b) * sc, dm = half_at(b + 2) * m;
        const uint8_t* qs = b + (FMT == Q4_K ? 16 : 48) + 32 * c + l;
        uint2 u = *reinterpret_cast<const uint2*>(qs);
        const uint8_t* q = reinterpret_cast<const uint8_t*>(&u);
        if (FMT == Q4_K) {
#pragma unroll
            for (int i = 0; i < 8; i++) v[i] = d * (float) ((q[i] >> (hi * 4)) & 0xF) - dm;
        } else {
            uint2 uh = *reinterpret_cast<const uint2*>(b + 16 + l);
            const uint8_t* qh = reinterpret_cast<const uint8_t*>(&uh);
            int bit = 2 * c + hi;
#pragma unroll
            for (int i = 0; i < 8; i++) v[i] = d * (float) (((q[i] >> (hi * 4)) & 0xF) | (((qh[i] >> bit) & 1) << 4)) - dm;
        }
    } else if (FMT == Q6_K) {
        const uint8_t* b = w + (idx / 256) * 210; // 210-byte blocks: only byte loads are aligned
        int e = (int) (idx % 256);
        int h = e / 128, within = e % 128, qq = within / 32, l = within % 32;
        float d = half_at(b + 208) * (float) reinterpret_cast<const int8_t*>(b)[192 + 8 * h + l / 16 + 2 * qq];
        const uint8_t* ql = b + 64 * h + l + (qq & 1) * 32;
        const uint8_t* qh = b + 128 + 32 * h + l;
        int shift = qq >= 2 ? 4 : 0;
#pragma unroll
        for (int i = 0; i < 8; i++) {
            int q = ((ql[i] >> shift) & 0xF) | (((qh[i] >> (2 * qq)) & 3) << 4);
            v[i] = d * (float) (q - 32);
        }
    } else if (FMT == Q8_K) {
        const uint8_t* b = w + (idx / 256) * 292;
        float d = *reinterpret_cast<const float*>(b);
        const int8_t* q = reinterpret_cast<const int8_t*>(b + 4 + idx % 256);
#pragma unroll
        for (int i = 0; i < 8; i++) v[i] = d * q[i];
    }
}

// One value of a plain (unblocked) tensor, for rows whose length is not a multiple of 8.
template <int FMT>
__device__ __forceinline__ float load1(const uint8_t* __restrict__ w, long idx) {
    if (FMT == F32) return reinterpret_cast<const float*>(w)[idx];
    if (FMT == F16) return __half2float(reinterpret_cast<const __half*>(w)[idx]);
    return bf16_bits(reinterpret_cast<const uint16_t*>(w)[idx]);
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// What one lane loads of one row per gemv step: G values with one 16-byte load where the format allows
// (Q4_0: a whole block of 32; Q8_0: half a block; F16/BF16: 8 values), then hands them out 8 at a time.
// Wide loads keep enough bytes in flight to stream weights at memory speed; the others use dequant8.
template <int FMT>
struct Group {
    static constexpr int G = 8;
    static constexpr bool SCALED = false;
    float d;
    float v[8];
    __device__ __forceinline__ void load(const uint8_t* w, const uint8_t* s, long idx) { dequant8<FMT>(w, s, idx, v); }
    __device__ __forceinline__ void get8(int, float* out) const {
#pragma unroll
        for (int i = 0; i < 8; i++) out[i] = v[i];
    }
};

template <>
struct Group<F16> {
    static constexpr int G = 8;
    static constexpr bool SCALED = false;
    float d;
    uint4 u;
    __device__ __forceinline__ void load(const uint8_t* w, const uint8_t*, long idx) { u = *reinterpret_cast<const uint4*>(w + idx * 2); }
    __device__ __forceinline__ void get8(int, float* out) const {
        const __half2* h = reinterpret_cast<const __half2*>(&u);
#pragma unroll
        for (int i = 0; i < 4; i++) {
            float2 f = __half22float2(h[i]);
            out[2 * i] = f.x;
            out[2 * i + 1] = f.y;
        }
    }
};

// Integers become floats without I2F (a quarter-rate instruction that bounded the quantized gemv): a byte
// b placed under the exponent of 2^23 (0x4B000000 | b, one PRMT) is the float 2^23 + b, and one FADD
// removes 2^23 plus the format's offset. The block scale multiplies the 8-value partial sum once.
__device__ __forceinline__ float magic_byte(uint32_t word, int byteIndex) {
    return __uint_as_float(__byte_perm(word, 0x4B000000u, 0x7650 | byteIndex));
}

template <>
struct Group<Q8_0> {
    static constexpr int G = 16;
    static constexpr bool SCALED = true;
    uint4 u;
    float d;
    __device__ __forceinline__ void load(const uint8_t* w, const uint8_t* s, long idx) {
        u = *reinterpret_cast<const uint4*>(w + idx);
        d = __half2float(reinterpret_cast<const __half*>(s)[idx / 32]);
    }
    // signed bytes: flipping the top bit makes b + 128 unsigned; 2^23 + 128 comes off
    __device__ __forceinline__ void get8(int j, float* out) const {
        uint32_t lo = (j == 0 ? u.x : u.z) ^ 0x80808080u;
        uint32_t hi = (j == 0 ? u.y : u.w) ^ 0x80808080u;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            out[i] = magic_byte(lo, i) - 8388736.f;
            out[4 + i] = magic_byte(hi, i) - 8388736.f;
        }
    }
};

template <>
struct Group<Q4_0> {
    static constexpr int G = 32;
    static constexpr bool SCALED = true;
    uint4 u;
    float d;
    __device__ __forceinline__ void load(const uint8_t* w, const uint8_t* s, long idx) {
        u = *reinterpret_cast<const uint4*>(w + idx / 2);
        d = __half2float(reinterpret_cast<const __half*>(s)[idx / 32]);
    }
    // values 8j..8j+7: low nibbles of bytes 0-7 (j=0) or 8-15 (j=1), high nibbles of the same (j=2, 3);
    // the nibble's offset of 8 comes off with 2^23
    __device__ __forceinline__ void get8(int j, float* out) const {
        uint32_t a = (j & 1) == 0 ? u.x : u.z;
        uint32_t b = (j & 1) == 0 ? u.y : u.w;
        int shift = j >= 2 ? 4 : 0;
        a = (a >> shift) & 0x0F0F0F0Fu;
        b = (b >> shift) & 0x0F0F0F0Fu;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            out[i] = magic_byte(a, i) - 8388616.f;
            out[4 + i] = magic_byte(b, i) - 8388616.f;
        }
    }
};

// y[p, r] = dot(W row r, x[p, :]) for p < n <= GEMV_MAX_POSITIONS. Each warp takes GEMV_ROWS_PER_WARP
// rows; a row is read once for all n positions, and each slice of x, read once per warp, serves every row
// of the warp. cols must be a multiple of the format's Group::G (8, or a block for Q8_0/Q4_0).
#define GEMV_ROWS_PER_WARP 4
template <int FMT, int R, int MAXP>
__device__ __forceinline__ void gemv_impl(const uint8_t* __restrict__ w, const uint8_t* __restrict__ s, const float* __restrict__ x,
                                          float* __restrict__ y, int rows, int cols, int n) {
    constexpr int G = Group<FMT>::G;
    int row0 = ((blockIdx.x * blockDim.x + threadIdx.x) >> 5) * R;
    int lane = threadIdx.x & 31;
    if (row0 >= rows) return;
    float acc[R][MAXP];
#pragma unroll
    for (int r = 0; r < R; r++)
#pragma unroll
        for (int p = 0; p < MAXP; p++) acc[r][p] = 0.f;
#pragma unroll 2
    for (int c = lane * G; c < cols; c += 32 * G) {
        Group<FMT> g[R];
#pragma unroll
        for (int r = 0; r < R; r++) {
            if (row0 + r < rows) g[r].load(w, s, (long) (row0 + r) * cols + c);
        }
#pragma unroll
        for (int p = 0; p < MAXP; p++) {
            if (p < n) {
#pragma unroll
                for (int j = 0; j < G / 8; j++) {
                    const float4* xp = reinterpret_cast<const float4*>(x + (long) p * cols + c + 8 * j);
                    float4 a = xp[0], b = xp[1];
#pragma unroll
                    for (int r = 0; r < R; r++) {
                        float v[8];
                        g[r].get8(j, v);
                        float part = v[0] * a.x + v[1] * a.y + v[2] * a.z + v[3] * a.w + v[4] * b.x + v[5] * b.y + v[6] * b.z + v[7] * b.w;
                        if (Group<FMT>::SCALED) {
                            acc[r][p] += g[r].d * part;
                        } else {
                            acc[r][p] += part;
                        }
                    }
                }
            }
        }
    }
#pragma unroll
    for (int p = 0; p < MAXP; p++) {
        if (p < n) {
#pragma unroll
            for (int r = 0; r < R; r++) {
                float sum = warp_sum(acc[r][p]);
                if (lane == 0 && row0 + r < rows) y[(long) p * rows + row0 + r] = sum;
            }
        }
    }
}

// The same for plain types whose rows are not a multiple of 8 long (e.g. stories260K's FFN of 172).
template <int FMT>
__device__ __forceinline__ void gemv_scalar_impl(const uint8_t* __restrict__ w, const float* __restrict__ x, float* __restrict__ y,
                                                 int rows, int cols, int n) {
    int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    long base = (long) row * cols;
    for (int p = 0; p < n; p++) {
        float acc = 0.f;
        for (int c = lane; c < cols; c += 32) acc += load1<FMT>(w, base + c) * x[(long) p * cols + c];
        acc = warp_sum(acc);
        if (lane == 0) y[(long) p * rows + row] = acc;
    }
}

// Many positions (prefill): a 64-row x 64-position tile per block of 256 threads, each thread 4 x 4
// outputs; weights are dequantized once per tile into shared memory. cols % 32 == 0.
#define GEMM_TILE 64
#define GEMM_K 32
template <int FMT>
__device__ __forceinline__ void gemm_impl(const uint8_t* __restrict__ w, const uint8_t* __restrict__ s, const float* __restrict__ x,
                                          float* __restrict__ y, int rows, int cols, int n) {
    __shared__ float ws[GEMM_K][GEMM_TILE + 4];
    __shared__ float xs[GEMM_K][GEMM_TILE + 4];
    int r0 = blockIdx.x * GEMM_TILE, p0 = blockIdx.y * GEMM_TILE;
    int tid = threadIdx.x;
    int tr = tid % 16, tp = tid / 16;
    int lr = tid / 4, lk = (tid % 4) * 8; // the row (or position) and 8-value group this thread loads
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.f;
    for (int k0 = 0; k0 < cols; k0 += GEMM_K) {
        float v[8];
        if (r0 + lr < rows) {
            dequant8<FMT>(w, s, (long) (r0 + lr) * cols + k0 + lk, v);
        } else {
#pragma unroll
            for (int i = 0; i < 8; i++) v[i] = 0.f;
        }
#pragma unroll
        for (int i = 0; i < 8; i++) ws[lk + i][lr] = v[i];
        if (p0 + lr < n) {
            const float4* xp = reinterpret_cast<const float4*>(x + (long) (p0 + lr) * cols + k0 + lk);
            float4 a = xp[0], b = xp[1];
            v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w; v[4] = b.x; v[5] = b.y; v[6] = b.z; v[7] = b.w;
        } else {
#pragma unroll
            for (int i = 0; i < 8; i++) v[i] = 0.f;
        }
#pragma unroll
        for (int i = 0; i < 8; i++) xs[lk + i][lr] = v[i];
        __syncthreads();
#pragma unroll 8
        for (int k = 0; k < GEMM_K; k++) {
            float4 a = *reinterpret_cast<const float4*>(&ws[k][tr * 4]);
            float4 b = *reinterpret_cast<const float4*>(&xs[k][tp * 4]);
            float av[4] = {a.x, a.y, a.z, a.w}, bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] += av[i] * bv[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (int j = 0; j < 4; j++) {
        int p = p0 + tp * 4 + j;
        if (p >= n) continue;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int r = r0 + tr * 4 + i;
            if (r < rows) y[(long) p * rows + r] = acc[i][j];
        }
    }
}

// Prefill on tensor cores (WMMA, sm_80+): a 128-row x 128-position tile per block of 8 warps, each warp
// 32 rows x 64 positions in eight 16 x 16 x 16 products per K slice. Weights are dequantized and
// activations rounded to F16 into shared memory once per 64-wide K step; products accumulate in F32. F16
// inputs cost precision (about 1e-3 of the logit scale), so the host sends only long prompts this way.
// cols % 64 == 0.
#define TC_BM 128
#define TC_BN 128
#define TC_BK 64
#define TC_LD (TC_BK + 8)
template <int FMT>
__device__ __forceinline__ void gemm_tc_impl(const uint8_t* __restrict__ w, const uint8_t* __restrict__ s, const float* __restrict__ x,
                                             float* __restrict__ y, int rows, int cols, int n) {
    using namespace nvcuda;
    extern __shared__ __align__(32) unsigned char tcShared[];
    __half* ws = reinterpret_cast<__half*>(tcShared);
    __half* xs = ws + TC_BM * TC_LD;
    float* staged = reinterpret_cast<float*>(xs + TC_BN * TC_LD);
    int r0 = blockIdx.x * TC_BM, p0 = blockIdx.y * TC_BN;
    int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    int wr = warp % 4, wp = warp / 4;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][4];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) wmma::fill_fragment(acc[i][j], 0.f);
    for (int k0 = 0; k0 < cols; k0 += TC_BK) {
#pragma unroll
        for (int t = 0; t < 4; t++) {
            int g = tid + t * 256, r = g / 8, kg = (g % 8) * 8;
            float v[8];
            if (r0 + r < rows) {
                dequant8<FMT>(w, s, (long) (r0 + r) * cols + k0 + kg, v);
            } else {
#pragma unroll
                for (int i = 0; i < 8; i++) v[i] = 0.f;
            }
            __half2 h[4];
#pragma unroll
            for (int i = 0; i < 4; i++) h[i] = __floats2half2_rn(v[2 * i], v[2 * i + 1]);
            *reinterpret_cast<uint4*>(&ws[r * TC_LD + kg]) = *reinterpret_cast<uint4*>(h);
        }
#pragma unroll
        for (int t = 0; t < 4; t++) {
            int g = tid + t * 256, p = g / 8, kg = (g % 8) * 8;
            float4 a = make_float4(0.f, 0.f, 0.f, 0.f), b = a;
            if (p0 + p < n) {
                const float4* xp = reinterpret_cast<const float4*>(x + (long) (p0 + p) * cols + k0 + kg);
                a = xp[0];
                b = xp[1];
            }
            __half2 h[4] = {__floats2half2_rn(a.x, a.y), __floats2half2_rn(a.z, a.w), __floats2half2_rn(b.x, b.y), __floats2half2_rn(b.z, b.w)};
            *reinterpret_cast<uint4*>(&xs[p * TC_LD + kg]) = *reinterpret_cast<uint4*>(h);
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TC_BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb[4];
#pragma unroll
            for (int i = 0; i < 2; i++) wmma::load_matrix_sync(fa[i], &ws[(wr * 32 + i * 16) * TC_LD + kk], TC_LD);
#pragma unroll
            for (int j = 0; j < 4; j++) wmma::load_matrix_sync(fb[j], &xs[(wp * 64 + j * 16) * TC_LD + kk], TC_LD);
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        __syncthreads();
    }
    // y is [positions, rows]: a 16 x 16 (row, position) tile lands column-major, then guarded stores
    float* mine = staged + warp * 256;
#pragma unroll
    for (int i = 0; i < 2; i++) {
#pragma unroll
        for (int j = 0; j < 4; j++) {
            wmma::store_matrix_sync(mine, acc[i][j], 16, wmma::mem_col_major);
            __syncwarp();
            for (int e = lane; e < 256; e += 32) {
                int r = r0 + wr * 32 + i * 16 + e % 16;
                int p = p0 + wp * 64 + j * 16 + e / 16;
                if (r < rows && p < n) y[(long) p * rows + r] = mine[e];
            }
            __syncwarp();
        }
    }
}

// out[i, :] = embedding row tokens[i]. Grid: one block per position.
template <int FMT>
__device__ __forceinline__ void embed_impl(const uint8_t* __restrict__ w, const uint8_t* __restrict__ s, const int* __restrict__ tokens,
                                           float* __restrict__ out, int cols) {
    int i = blockIdx.x;
    long base = (long) tokens[i] * cols;
    if (cols % 8 == 0 || FMT > BF16) {
        for (int c = threadIdx.x * 8; c < cols; c += blockDim.x * 8) {
            float v[8];
            dequant8<FMT>(w, s, base + c, v);
#pragma unroll
            for (int k = 0; k < 8; k++) out[(long) i * cols + c + k] = v[k];
        }
    } else if (FMT <= BF16) {
        for (int c = threadIdx.x; c < cols; c += blockDim.x) out[(long) i * cols + c] = load1<FMT <= BF16 ? FMT : F32>(w, base + c);
    }
}

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

// Splits GGUF Q8_0 blocks {f16 d; int8 q[32]} into q (32 bytes per block) and d (2 bytes per block).
extern "C" __global__ void repack_q8_0(const uint8_t* raw, uint8_t* qs, uint8_t* scales, long blocks) {
    long b = (long) blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= blocks) return;
    const uint8_t* src = raw + b * 34;
    scales[2 * b] = src[0];
    scales[2 * b + 1] = src[1];
    for (int i = 0; i < 32; i++) qs[b * 32 + i] = src[2 + i];
}

// Splits GGUF Q4_0 blocks {f16 d; uint8 q[16]} into q (16 bytes per block) and d.
extern "C" __global__ void repack_q4_0(const uint8_t* raw, uint8_t* qs, uint8_t* scales, long blocks) {
    long b = (long) blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= blocks) return;
    const uint8_t* src = raw + b * 18;
    scales[2 * b] = src[0];
    scales[2 * b + 1] = src[1];
    for (int i = 0; i < 16; i++) qs[b * 16 + i] = src[2 + i];
}

// Norm weights in any plain type, widened to float once at load.
extern "C" __global__ void widen_to_f32(const uint8_t* raw, int format, float* out, long n) {
    long i = (long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    out[i] = format == F32 ? load1<F32>(raw, i) : format == F16 ? load1<F16>(raw, i) : load1<BF16>(raw, i);
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
