package dev.baremetalrt.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API dot products over weights in the mapped file. Only used when {@link Simd#ENABLED}: the
 * preferred float vector has L = 8 or 16 lanes, and quantized blocks of 32 are read as 32/L byte vectors
 * of L lanes, each widened to one float vector. Row lengths that are not a multiple of L finish with a
 * scalar tail.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    private static final VectorSpecies<Short> S = L >= 8 ? VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16)) : null;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private VectorKernels() {}

    static int preferredLanes() {
        return L;
    }

    static float dotArrays(float[] w, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            acc = FloatVector.fromArray(F, w, i).fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += w[i] * x[xOff + i];
        }
        return sum;
    }

    static float dotF32(MemorySegment w, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            acc = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += w.get(WeightMatrix.F32_LE, off + 4L * i) * x[xOff + i];
        }
        return sum;
    }

    static void dot4F32(MemorySegment w, long off, float[] x, int xOff, int stride, int n, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE);
            a0 = wv.fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, xOff + stride + i), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, xOff + 2 * stride + i), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, xOff + 3 * stride + i), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float v = w.get(WeightMatrix.F32_LE, off + 4L * i);
            s0 += v * x[xOff + i];
            s1 += v * x[xOff + stride + i];
            s2 += v * x[xOff + 2 * stride + i];
            s3 += v * x[xOff + 3 * stride + i];
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }

    static float dotBF16(MemorySegment w, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            ShortVector raw = ShortVector.fromMemorySegment(S, w, off + 2L * i, LE);
            FloatVector wv = ((IntVector) raw.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc = wv.fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Float.intBitsToFloat((w.get(WeightMatrix.I16_LE, off + 2L * i) & 0xFFFF) << 16) * x[xOff + i];
        }
        return sum;
    }

    private static FloatVector q8(MemorySegment w, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(B, w, at, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Q8_0 row times x. Two blocks per iteration with separate accumulators, written out inline: with
     * one accumulator the FMA dependency chain holds a core back while it streams weights from memory
     * (decode 8.9 vs 11.3 tok/s on tinyllama-1.1b Q8_0, 2 threads); helper methods returning vectors
     * defeat escape analysis.
     */
    static float dotQ8(MemorySegment w, long off, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int b = 0;
        for (; b + 64 <= n; b += 64, off += 68) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L) {
                s0 = q8(w, off + 2 + j).fma(FloatVector.fromArray(F, x, xOff + b + j), s0);
                s1 = q8(w, off + 36 + j).fma(FloatVector.fromArray(F, x, xOff + b + 32 + j), s1);
            }
            a0 = s0.fma(FloatVector.broadcast(F, WeightMatrix.f16(w, off)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, WeightMatrix.f16(w, off + 34)), a1);
        }
        for (; b < n; b += 32, off += 34) {
            FloatVector s0 = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L) {
                s0 = q8(w, off + 2 + j).fma(FloatVector.fromArray(F, x, xOff + b + j), s0);
            }
            a0 = s0.fma(FloatVector.broadcast(F, WeightMatrix.f16(w, off)), a0);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** Q8_0 blocks as floats: {@code out[outOff + i] = scale * byte}, n values (a multiple of 32). */
    static void widenQ8(MemorySegment w, long off, float[] out, int outOff, int n) {
        for (int b = 0; b < n; b += 32, off += 34) {
            FloatVector d = FloatVector.broadcast(F, WeightMatrix.f16(w, off));
            for (int j = 0; j < 32; j += L) {
                ((FloatVector) ByteVector.fromMemorySegment(B, w, off + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, outOff + b + j);
            }
        }
    }

    /** Q4_0 blocks as floats: {@code scale * (nibble - 8)}, n values (a multiple of 32). */
    static void widenQ4(MemorySegment w, long off, float[] out, int outOff, int n) {
        for (int b = 0; b < n; b += 32, off += 18) {
            FloatVector d = FloatVector.broadcast(F, WeightMatrix.f16(w, off));
            for (int j = 0; j < 16; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 2 + j, LE);
                ByteVector high = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(LOW);
                ((FloatVector) q.and(LOW).sub(OFFSET).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, outOff + b + j);
                ((FloatVector) high.sub(OFFSET).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, outOff + b + 16 + j);
            }
        }
    }

    static void dot4Q8(MemorySegment w, long off, float[] x, int xOff, int stride, int n, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 32, off += 34) {
            FloatVector b0 = FloatVector.zero(F), b1 = b0, b2 = b0, b3 = b0;
            for (int j = 0; j < 32; j += L) {
                FloatVector wv = q8(w, off + 2 + j);
                int at = xOff + b + j;
                b0 = wv.fma(FloatVector.fromArray(F, x, at), b0);
                b1 = wv.fma(FloatVector.fromArray(F, x, at + stride), b1);
                b2 = wv.fma(FloatVector.fromArray(F, x, at + 2 * stride), b2);
                b3 = wv.fma(FloatVector.fromArray(F, x, at + 3 * stride), b3);
            }
            FloatVector d = FloatVector.broadcast(F, WeightMatrix.f16(w, off));
            a0 = b0.fma(d, a0);
            a1 = b1.fma(d, a1);
            a2 = b2.fma(d, a2);
            a3 = b3.fma(d, a3);
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD);
        out[1] = a1.reduceLanes(VectorOperators.ADD);
        out[2] = a2.reduceLanes(VectorOperators.ADD);
        out[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    private static final byte LOW = 0x0F;
    private static final byte OFFSET = 8;

    /**
     * The high nibble of each byte. Shifted as 16-bit lanes: x86 has no byte shift, and the byte
     * {@code LSHR} the JIT emulates costs more than the whole mask; the mask drops the bits that cross from
     * the neighbouring byte. 8% faster Q4 dot products than a byte shift.
     */
    static ByteVector highNibbles(ByteVector q) {
        return shiftRight16(q, 4).and(LOW);
    }

    /**
     * Shifts each 16-bit pair of bytes right by {@code bits}: a byte's low bits then hold its own high bits,
     * and its top {@code bits} bits come from the next byte, so callers mask. x86 has no byte shift.
     */
    static ByteVector shiftRight16(ByteVector q, int bits) {
        return q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, bits).reinterpretAsBytes();
    }

    /** Q4_0 row times x, two blocks in flight (see {@link #dotQ8}). */
    static float dotQ4(MemorySegment w, long off, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int b = 0;
        for (; b + 64 <= n; b += 64, off += 36) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                ByteVector q0 = ByteVector.fromMemorySegment(B, w, off + 2 + j, LE);
                ByteVector q1 = ByteVector.fromMemorySegment(B, w, off + 20 + j, LE);
                int at = xOff + b + j;
                s0 = ((FloatVector) q0.and(LOW).sub(OFFSET).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at), s0);
                s1 = ((FloatVector) q1.and(LOW).sub(OFFSET).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 32), s1);
                s0 = ((FloatVector) highNibbles(q0).sub(OFFSET).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 16), s0);
                s1 = ((FloatVector) highNibbles(q1).sub(OFFSET).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 48), s1);
            }
            a0 = s0.fma(FloatVector.broadcast(F, WeightMatrix.f16(w, off)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, WeightMatrix.f16(w, off + 18)), a1);
        }
        for (; b < n; b += 32, off += 18) {
            FloatVector s0 = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 2 + j, LE);
                s0 = ((FloatVector) q.and(LOW).sub(OFFSET).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xOff + b + j), s0);
                s0 = ((FloatVector) highNibbles(q).sub(OFFSET).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xOff + b + 16 + j), s0);
            }
            a0 = s0.fma(FloatVector.broadcast(F, WeightMatrix.f16(w, off)), a0);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    static void dot4Q4(MemorySegment w, long off, float[] x, int xOff, int stride, int n, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 32, off += 18) {
            FloatVector b0 = FloatVector.zero(F), b1 = b0, b2 = b0, b3 = b0;
            for (int j = 0; j < 16; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 2 + j, LE);
                FloatVector lo = (FloatVector) q.and(LOW).sub(OFFSET).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) highNibbles(q).sub(OFFSET).convertShape(VectorOperators.B2F, F, 0);
                int at = xOff + b + j;
                int ah = at + 16;
                b0 = hi.fma(FloatVector.fromArray(F, x, ah), lo.fma(FloatVector.fromArray(F, x, at), b0));
                b1 = hi.fma(FloatVector.fromArray(F, x, ah + stride), lo.fma(FloatVector.fromArray(F, x, at + stride), b1));
                b2 = hi.fma(FloatVector.fromArray(F, x, ah + 2 * stride), lo.fma(FloatVector.fromArray(F, x, at + 2 * stride), b2));
                b3 = hi.fma(FloatVector.fromArray(F, x, ah + 3 * stride), lo.fma(FloatVector.fromArray(F, x, at + 3 * stride), b3));
            }
            FloatVector d = FloatVector.broadcast(F, WeightMatrix.f16(w, off));
            a0 = b0.fma(d, a0);
            a1 = b1.fma(d, a1);
            a2 = b2.fma(d, a2);
            a3 = b3.fma(d, a3);
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD);
        out[1] = a1.reduceLanes(VectorOperators.ADD);
        out[2] = a2.reduceLanes(VectorOperators.ADD);
        out[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /**
     * In-place softmax over x[0..n). Exponentials through the Vector API's EXP (a vector math library on x86,
     * not a per-lane {@code Math.exp}); the last partial vector is masked so every element takes the same path.
     */
    static void softmax(float[] x, int n) {
        FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            mv = mv.max(FloatVector.fromArray(F, x, i));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (int t = i; t < n; t++) {
            max = Math.max(max, x[t]);
        }
        FloatVector sum = FloatVector.zero(F);
        int upper = F.loopBound(n);
        for (i = 0; i < upper; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(x, i);
            sum = sum.add(e);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector e = FloatVector.fromArray(F, x, i, m).sub(max).lanewise(VectorOperators.EXP, m);
            e.intoArray(x, i, m);
            sum = sum.add(e, m);
        }
        FloatVector inv = FloatVector.broadcast(F, 1f / sum.reduceLanes(VectorOperators.ADD));
        for (i = 0; i < upper; i += L) {
            FloatVector.fromArray(F, x, i).mul(inv).intoArray(x, i);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector.fromArray(F, x, i, m).mul(inv).intoArray(x, i, m);
        }
    }

    /** gate[off + i] = silu(gate[off + i]) * up[off + i] for i in [0, n); masked tail, as in {@link #softmax}. */
    static void siluMul(float[] gate, float[] up, int off, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, off + i);
            FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
            silu.mul(FloatVector.fromArray(F, up, off + i)).intoArray(gate, off + i);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector g = FloatVector.fromArray(F, gate, off + i, m);
            FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP, m).add(1f));
            silu.mul(FloatVector.fromArray(F, up, off + i, m)).intoArray(gate, off + i, m);
        }
    }

    /**
     * A 4 x 4 tile of a float GEMM: {@code out[p * outStride + r] = dot(w row r, x row p)} for 4 weight rows
     * starting at {@code w[wOff]} (row stride {@code n}) and 4 activation rows starting at {@code x[xOff]}
     * (row stride {@code n}). 16 accumulators, 8 loads per 16 FMAs: bound by the FMA units.
     */
    static void gemm4x4(float[] w, int wOff, float[] x, int xOff, int n, float[] out, int outOff, int outStride) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int k = 0;
        for (int upper = F.loopBound(n); k < upper; k += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wOff + k);
            FloatVector w1 = FloatVector.fromArray(F, w, wOff + n + k);
            FloatVector w2 = FloatVector.fromArray(F, w, wOff + 2 * n + k);
            FloatVector w3 = FloatVector.fromArray(F, w, wOff + 3 * n + k);
            FloatVector x0 = FloatVector.fromArray(F, x, xOff + k);
            c00 = w0.fma(x0, c00);
            c10 = w1.fma(x0, c10);
            c20 = w2.fma(x0, c20);
            c30 = w3.fma(x0, c30);
            FloatVector x1 = FloatVector.fromArray(F, x, xOff + n + k);
            c01 = w0.fma(x1, c01);
            c11 = w1.fma(x1, c11);
            c21 = w2.fma(x1, c21);
            c31 = w3.fma(x1, c31);
            FloatVector x2 = FloatVector.fromArray(F, x, xOff + 2 * n + k);
            c02 = w0.fma(x2, c02);
            c12 = w1.fma(x2, c12);
            c22 = w2.fma(x2, c22);
            c32 = w3.fma(x2, c32);
            FloatVector x3 = FloatVector.fromArray(F, x, xOff + 3 * n + k);
            c03 = w0.fma(x3, c03);
            c13 = w1.fma(x3, c13);
            c23 = w2.fma(x3, c23);
            c33 = w3.fma(x3, c33);
        }
        // Written out: an array of vectors would make them escape and be boxed on every iteration.
        out[outOff] = finish(c00, w, wOff, x, xOff, k, n);
        out[outOff + 1] = finish(c10, w, wOff + n, x, xOff, k, n);
        out[outOff + 2] = finish(c20, w, wOff + 2 * n, x, xOff, k, n);
        out[outOff + 3] = finish(c30, w, wOff + 3 * n, x, xOff, k, n);
        int o = outOff + outStride;
        out[o] = finish(c01, w, wOff, x, xOff + n, k, n);
        out[o + 1] = finish(c11, w, wOff + n, x, xOff + n, k, n);
        out[o + 2] = finish(c21, w, wOff + 2 * n, x, xOff + n, k, n);
        out[o + 3] = finish(c31, w, wOff + 3 * n, x, xOff + n, k, n);
        o += outStride;
        out[o] = finish(c02, w, wOff, x, xOff + 2 * n, k, n);
        out[o + 1] = finish(c12, w, wOff + n, x, xOff + 2 * n, k, n);
        out[o + 2] = finish(c22, w, wOff + 2 * n, x, xOff + 2 * n, k, n);
        out[o + 3] = finish(c32, w, wOff + 3 * n, x, xOff + 2 * n, k, n);
        o += outStride;
        out[o] = finish(c03, w, wOff, x, xOff + 3 * n, k, n);
        out[o + 1] = finish(c13, w, wOff + n, x, xOff + 3 * n, k, n);
        out[o + 2] = finish(c23, w, wOff + 2 * n, x, xOff + 3 * n, k, n);
        out[o + 3] = finish(c33, w, wOff + 3 * n, x, xOff + 3 * n, k, n);
    }

    /** Lane sum of an accumulator plus the scalar tail [from, n) of the dot product. */
    private static float finish(FloatVector acc, float[] w, int wOff, float[] x, int xOff, int from, int n) {
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (int t = from; t < n; t++) {
            sum += w[wOff + t] * x[xOff + t];
        }
        return sum;
    }
}
