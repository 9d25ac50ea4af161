// Matrix products over the readers of formats.cuh: gemv for decode, FP32 and tensor-core tiles for
// prefill, and the embedding lookup.
#pragma once
#include <mma.h>
#include "formats.cuh"

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

