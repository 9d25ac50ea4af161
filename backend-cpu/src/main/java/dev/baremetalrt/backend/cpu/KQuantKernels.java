package dev.baremetalrt.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused dot products for K-quant rows: values are widened L at a time (L = 8 or 16 float lanes) straight
 * from the mapped bytes, multiplied with x and scaled per sub-block; a row is never dequantized whole.
 * Sub-blocks are 32 (Q4_K, Q5_K) or 16 (Q6_K) values, so every vector of L values shares one scale.
 * Q4_K/Q5_K subtract their mins as {@code dmin*min * sum(x)} over each sub-block, with the sums of x
 * computed once per matrix-vector product ({@link #subBlockSums}).
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

    /**
     * Q4_K row times x. The mins' share, {@code dmin*min_j * sum(x over sub-block j)}, comes from
     * {@code sums} (see {@link #subBlockSums}), computed once per matrix-vector product instead of per row.
     */
    static float dotQ4K(KQuantMatrix m, long off, float[] x, int xOff, int n, float[] sums) {
        MemorySegment w = m.data;
        float[] scales = new float[16];
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, mins = acc0;
        for (int b = 0; b < n; b += 256, off += 144) {
            unpackScalesAndMins(w, off, scales);
            for (int i = 0; i < 16; i += L) {
                mins = FloatVector.fromArray(F, scales, i).fma(FloatVector.fromArray(F, sums, (b >> 4) + i), mins);
            }
            for (int c = 0; c < 4; c++) {
                FloatVector s1 = FloatVector.zero(F), s2 = s1;
                for (int j = 0; j < 32; j += L) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, off + 16 + 32 * c + j, LE);
                    int at = xOff + b + 64 * c + j;
                    s1 = toFloats(q.and(NIBBLE)).fma(FloatVector.fromArray(F, x, at), s1);
                    s2 = toFloats(VectorKernels.highNibbles(q)).fma(FloatVector.fromArray(F, x, at + 32), s2);
                }
                acc0 = s1.fma(FloatVector.broadcast(F, scales[2 * c]), acc0);
                acc1 = s2.fma(FloatVector.broadcast(F, scales[2 * c + 1]), acc1);
            }
        }
        return acc0.add(acc1).sub(mins).reduceLanes(VectorOperators.ADD);
    }

    /** Q5_K row times x: {@link #dotQ4K} with each value's fifth bit from {@code qh}. */
    static float dotQ5K(KQuantMatrix m, long off, float[] x, int xOff, int n, float[] sums) {
        MemorySegment w = m.data;
        float[] scales = new float[16];
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, mins = acc0;
        for (int b = 0; b < n; b += 256, off += 176) {
            unpackScalesAndMins(w, off, scales);
            for (int i = 0; i < 16; i += L) {
                mins = FloatVector.fromArray(F, scales, i).fma(FloatVector.fromArray(F, sums, (b >> 4) + i), mins);
            }
            for (int c = 0; c < 4; c++) {
                FloatVector s1 = FloatVector.zero(F), s2 = s1;
                for (int j = 0; j < 32; j += L) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, off + 48 + 32 * c + j, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B, w, off + 16 + j, LE);
                    ByteVector lo = q.and(NIBBLE).or(h.lanewise(VectorOperators.LSHR, 2 * c).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    ByteVector hi = VectorKernels.highNibbles(q).or(h.lanewise(VectorOperators.LSHR, 2 * c + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    int at = xOff + b + 64 * c + j;
                    s1 = toFloats(lo).fma(FloatVector.fromArray(F, x, at), s1);
                    s2 = toFloats(hi).fma(FloatVector.fromArray(F, x, at + 32), s2);
                }
                acc0 = s1.fma(FloatVector.broadcast(F, scales[2 * c]), acc0);
                acc1 = s2.fma(FloatVector.broadcast(F, scales[2 * c + 1]), acc1);
            }
        }
        return acc0.add(acc1).sub(mins).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Sums of x over each 32-value sub-block, laid out against {@link #unpackScalesAndMins}'s output: per super-block 16
     * floats, 8 zeros (against the scales) then the 8 sums (against the mins).
     */
    static float[] subBlockSums(float[] x, int xOff, int n) {
        float[] sums = new float[n / 16];
        for (int b = 0; b < n; b += 32) {
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L) {
                s = s.add(FloatVector.fromArray(F, x, xOff + b + j));
            }
            int sub = b >> 5;
            sums[16 * (sub >> 3) + 8 + (sub & 7)] = s.reduceLanes(VectorOperators.ADD);
        }
        return sums;
    }

    /*
     * The 12 packed bytes of 6-bit scales and mins (see KQuantMatrix.scale) unpacked with two byte shuffles: output lane k < 8 is scale k, lane 8 + k is min k. Lanes j < 4 are a plain byte & 63; lanes
     * j >= 4 take 4 bits from byte j + 4 (low nibble for scales, high for mins) and 2 from the top of byte
     * j - 4 (scales) or j (mins). Unpacking them with scalar shifts cost Q4_K half its speed: the scalar
     * work competes with 512-bit vector work for the same ports.
     */
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorShuffle<Byte> NIBBLE_BYTE = VectorShuffle.fromValues(B128, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11);
    private static final VectorShuffle<Byte> TOP_BITS_BYTE = VectorShuffle.fromValues(B128, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7);
    /** Lanes 12..15, the mins of sub-blocks 4..7, take their low 4 bits from the high nibble. */
    private static final VectorMask<Byte> HIGH_NIBBLE_LANES = VectorMask.fromLong(B128, 0xF000L);
    private static final VectorMask<Byte> SPLIT_LANES = VectorMask.fromLong(B128, 0xF0F0L);
    /** Per float part of the 16 lanes: which lanes are mins (scaled by dmin rather than d). */
    private static final VectorMask<Float>[] MIN_LANES = minLanes();

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] minLanes() {
        VectorMask<Float>[] masks = new VectorMask[Math.max(1, 16 / L)];
        for (int part = 0; part < masks.length; part++) {
            long bits = 0;
            for (int i = 0; i < L; i++) {
                bits |= (part * L + i >= 8 ? 1L : 0L) << i;
            }
            masks[part] = VectorMask.fromLong(F, bits);
        }
        return masks;
    }

    /**
     * Writes {@code d*scale_j} to {@code scales[j]} and {@code dmin*min_j} to {@code scales[8+j]} for the
     * Q4_K/Q5_K super-block at {@code off}. Takes and returns no vectors: if C2 declines to inline it, a
     * vector crossing the call would be boxed on every super-block (2-4x slower decode, run to run).
     */
    private static void unpackScalesAndMins(MemorySegment w, long off, float[] scales) {
        ByteVector packed = ByteVector.fromMemorySegment(B128, w, off + 4, LE); // 12 packed bytes and 4 of qs, unused
        ByteVector nibbleByte = packed.rearrange(NIBBLE_BYTE);
        // (byte >>> 6) << 4 as a 16-bit shift and a mask: x86 has no byte shifts, and emulating them cost ~5%.
        ByteVector topBits = VectorKernels.shiftRight16(packed.rearrange(TOP_BITS_BYTE), 2).and((byte) 0x30);
        ByteVector split = nibbleByte.and(NIBBLE).blend(VectorKernels.shiftRight16(nibbleByte, 4).and(NIBBLE), HIGH_NIBBLE_LANES).or(topBits);
        ByteVector six = nibbleByte.and((byte) 63).blend(split, SPLIT_LANES);
        float d = WeightMatrix.f16(w, off);
        float dmin = WeightMatrix.f16(w, off + 2);
        for (int part = 0; part < MIN_LANES.length; part++) {
            ((FloatVector) six.convertShape(VectorOperators.B2F, F, part))
                    .mul(FloatVector.broadcast(F, d).blend(dmin, MIN_LANES[part]))
                    .intoArray(scales, part * L);
        }
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
