// How each weight format is read on the device: the Format codes (DeviceFormat.code() in Java), dequant8
// (eight values from any element index that is a multiple of 8) and the gemv's wide-load Groups.
#pragma once
#include <cuda_fp16.h>
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

