package dev.baremetalrt.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused dot products for K-quant rows: values are widened L at a time (L = 8 or 16 float lanes) straight
 * from the mapped bytes, multiplied with x and scaled per sub-block; a row is never dequantized whole.
 * Sub-blocks are 32 (Q4_K, Q5_K) or 16 (Q6_K) values, so every vector of L values shares one scale.
 * Q4_K/Q5_K subtract their mins as {@code dmin*min * sum(x)} over each sub-block, accumulated separately.
 * Row lengths are multiples of 256 (the GGUF reader checks), so there is no scalar tail.
 */
final class KQuantKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final byte NIBBLE = 0x0F;

    private KQuantKernels() {}

    private static FloatVector toFloats(ByteVector v) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, 0);
    }

    static float dotQ4K(KQuantMatrix m, long off, float[] x, int xOff, int n) {
        MemorySegment w = m.data;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, mins0 = acc0, mins1 = acc0;
        for (int b = 0; b < n; b += 256, off += 144) {
            float d = WeightMatrix.f16(w, off);
            float dmin = WeightMatrix.f16(w, off + 2);
            long packed0 = m.packed0(off + 4);
            int packed8 = m.packed8(off + 4);
            for (int c = 0; c < 4; c++) {
                FloatVector s1 = FloatVector.zero(F), s2 = s1, x1 = s1, x2 = s1;
                for (int j = 0; j < 32; j += L) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, off + 16 + 32 * c + j, LE);
                    int at = xOff + b + 64 * c + j;
                    FloatVector xa = FloatVector.fromArray(F, x, at);
                    FloatVector xb = FloatVector.fromArray(F, x, at + 32);
                    s1 = toFloats(q.and(NIBBLE)).fma(xa, s1);
                    s2 = toFloats(q.lanewise(VectorOperators.LSHR, 4).and(NIBBLE)).fma(xb, s2);
                    x1 = x1.add(xa);
                    x2 = x2.add(xb);
                }
                acc0 = s1.fma(FloatVector.broadcast(F, d * KQuantMatrix.scale(packed0, packed8, 2 * c)), acc0);
                acc1 = s2.fma(FloatVector.broadcast(F, d * KQuantMatrix.scale(packed0, packed8, 2 * c + 1)), acc1);
                mins0 = x1.fma(FloatVector.broadcast(F, dmin * KQuantMatrix.min(packed0, packed8, 2 * c)), mins0);
                mins1 = x2.fma(FloatVector.broadcast(F, dmin * KQuantMatrix.min(packed0, packed8, 2 * c + 1)), mins1);
            }
        }
        return acc0.add(acc1).sub(mins0.add(mins1)).reduceLanes(VectorOperators.ADD);
    }

    static float dotQ5K(KQuantMatrix m, long off, float[] x, int xOff, int n) {
        MemorySegment w = m.data;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, mins0 = acc0, mins1 = acc0;
        for (int b = 0; b < n; b += 256, off += 176) {
            float d = WeightMatrix.f16(w, off);
            float dmin = WeightMatrix.f16(w, off + 2);
            long packed0 = m.packed0(off + 4);
            int packed8 = m.packed8(off + 4);
            for (int c = 0; c < 4; c++) {
                FloatVector s1 = FloatVector.zero(F), s2 = s1, x1 = s1, x2 = s1;
                for (int j = 0; j < 32; j += L) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, off + 48 + 32 * c + j, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B, w, off + 16 + j, LE);
                    ByteVector lo = q.and(NIBBLE).or(h.lanewise(VectorOperators.LSHR, 2 * c).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).and(NIBBLE)
                            .or(h.lanewise(VectorOperators.LSHR, 2 * c + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    int at = xOff + b + 64 * c + j;
                    FloatVector xa = FloatVector.fromArray(F, x, at);
                    FloatVector xb = FloatVector.fromArray(F, x, at + 32);
                    s1 = toFloats(lo).fma(xa, s1);
                    s2 = toFloats(hi).fma(xb, s2);
                    x1 = x1.add(xa);
                    x2 = x2.add(xb);
                }
                acc0 = s1.fma(FloatVector.broadcast(F, d * KQuantMatrix.scale(packed0, packed8, 2 * c)), acc0);
                acc1 = s2.fma(FloatVector.broadcast(F, d * KQuantMatrix.scale(packed0, packed8, 2 * c + 1)), acc1);
                mins0 = x1.fma(FloatVector.broadcast(F, dmin * KQuantMatrix.min(packed0, packed8, 2 * c)), mins0);
                mins1 = x2.fma(FloatVector.broadcast(F, dmin * KQuantMatrix.min(packed0, packed8, 2 * c + 1)), mins1);
            }
        }
        return acc0.add(acc1).sub(mins0.add(mins1)).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Q6_K row times x. The four quarters of each half go through one loop body rather than four written-out
     * copies: written out, the method grew past C2's inlining node budget, the vector calls stayed calls and
     * every vector was boxed (1.3 ns per weight instead of 0.2).
     */
    static float dotQ6K(KQuantMatrix m, long off, float[] x, int xOff, int n) {
        MemorySegment w = m.data;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, off += 210) {
            float d = WeightMatrix.f16(w, off + 208);
            for (int h = 0; h < 2; h++) {
                long ql = off + 64L * h;
                long qh = off + 128 + 32L * h;
                long scales = w.get(KQuantMatrix.I64_LE, off + 192 + 8L * h);
                for (int j = 0; j < 32; j += L) {
                    ByteVector hb = ByteVector.fromMemorySegment(B, w, qh + j, LE);
                    int first = 8 * (j / 16);
                    int at = xOff + b + 128 * h + j;
                    for (int t = 0; t < 4; t++) {
                        // Only and/or/add and right shifts on bytes: x86 has no byte left shift.
                        ByteVector low = ByteVector.fromMemorySegment(B, w, ql + 32 * (t & 1) + j, LE).lanewise(VectorOperators.LSHR, 4 * (t >> 1)).and(NIBBLE);
                        ByteVector high = times16(hb.lanewise(VectorOperators.LSHR, 2 * t).and((byte) 3));
                        FloatVector q = toFloats(low.or(high).sub((byte) 32));
                        acc = q.mul(FloatVector.fromArray(F, x, at + 32 * t)).fma(FloatVector.broadcast(F, d * (byte) (scales >>> (first + 16 * t))), acc);
                    }
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static ByteVector times16(ByteVector v) {
        ByteVector x2 = v.add(v);
        ByteVector x4 = x2.add(x2);
        ByteVector x8 = x4.add(x4);
        return x8.add(x8);
    }

    static float dotQ8K(KQuantMatrix m, long off, float[] x, int xOff, int n) {
        MemorySegment w = m.data;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, off += 292) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            for (int j = 0; j < 256; j += 2 * L) {
                s0 = toFloats(ByteVector.fromMemorySegment(B, w, off + 4 + j, LE)).fma(FloatVector.fromArray(F, x, xOff + b + j), s0);
                s1 = toFloats(ByteVector.fromMemorySegment(B, w, off + 4 + j + L, LE)).fma(FloatVector.fromArray(F, x, xOff + b + j + L), s1);
            }
            acc = s0.add(s1).fma(FloatVector.broadcast(F, w.get(WeightMatrix.F32_LE, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
