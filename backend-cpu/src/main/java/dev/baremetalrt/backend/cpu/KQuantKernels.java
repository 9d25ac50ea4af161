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
 * from the mapped bytes, multiplied with x and scaled per sub-block; a row is never dequantized whole. The
 * {@code widen} kernels write rows as floats for batches (register tiles) and embeddings, rounded exactly as
 * the scalar decoders. All are written without helper methods or short inner loops; see {@link #dotQ4K}.
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
    private static final byte FIFTH_BIT = 0x10;
    private static final byte TOP_TWO_BITS = 0x30;

    private KQuantKernels() {}

    /**
     * Q4_K row times x. The mins' share, {@code dmin*min_j * sum(x over sub-block j)}, comes from
     * {@code sums} (see {@link #subBlockSums}), computed once per matrix-vector product instead of per row.
     * The four 64-value groups of a super-block are written out, so that C2 does not set up a short inner
     * loop (and re-check its bounds) per super-block, and the loop calls no helper methods: C2 stops
     * inlining small methods past its node budget ({@code NodeCountInliningCutoff} in
     * {@code -XX:+PrintInlining}) and every vector crossing such a call is boxed, ten times slower. The
     * Vector API's own methods are force-inlined and not subject to it (docs/benchmarks.md, fifth round).
     */
    static float dotQ4K(KQuantMatrix m, long off, float[] x, int xOff, int n, float[] sums) {
        MemorySegment w = m.data;
        float[] block = new float[16];
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, mins = acc0;
        long o = off;
        for (int b = 0; b < n; b += 256, o += 144) {
            int at = xOff + b;
            unpackScalesAndMins(w, o, block);
            for (int i = 0; i < 16; i += L) {
                mins = FloatVector.fromArray(F, block, i).fma(FloatVector.fromArray(F, sums, (b >> 4) + i), mins);
            }
            FloatVector s0 = FloatVector.zero(F), s1 = s0;
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, o + 16 + j, LE);
                ByteVector high = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE);
                s0 = ((FloatVector) q.and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + j), s0);
                s1 = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 32 + j), s1);
            }
            acc0 = s0.fma(FloatVector.broadcast(F, block[0]), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, block[1]), acc1);
            FloatVector s2 = FloatVector.zero(F), s3 = s2;
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, o + 48 + j, LE);
                ByteVector high = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE);
                s2 = ((FloatVector) q.and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 64 + j), s2);
                s3 = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 96 + j), s3);
            }
            acc0 = s2.fma(FloatVector.broadcast(F, block[2]), acc0);
            acc1 = s3.fma(FloatVector.broadcast(F, block[3]), acc1);
            FloatVector s4 = FloatVector.zero(F), s5 = s4;
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, o + 80 + j, LE);
                ByteVector high = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE);
                s4 = ((FloatVector) q.and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 128 + j), s4);
                s5 = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 160 + j), s5);
            }
            acc0 = s4.fma(FloatVector.broadcast(F, block[4]), acc0);
            acc1 = s5.fma(FloatVector.broadcast(F, block[5]), acc1);
            FloatVector s6 = FloatVector.zero(F), s7 = s6;
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, o + 112 + j, LE);
                ByteVector high = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE);
                s6 = ((FloatVector) q.and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 192 + j), s6);
                s7 = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 224 + j), s7);
            }
            acc0 = s6.fma(FloatVector.broadcast(F, block[6]), acc0);
            acc1 = s7.fma(FloatVector.broadcast(F, block[7]), acc1);
        }
        return acc0.add(acc1).sub(mins).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Q5_K row times x: {@link #dotQ4K} with each value's fifth bit from {@code qh} (bit 2c of {@code qh[l]} for
     * value l of sub-block 2c, bit 2c+1 for sub-block 2c+1), moved to bit 4 with a 16-bit shift and a mask.
     */
    static float dotQ5K(KQuantMatrix m, long off, float[] x, int xOff, int n, float[] sums) {
        MemorySegment w = m.data;
        float[] block = new float[16];
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, mins = acc0;
        long o = off;
        for (int b = 0; b < n; b += 256, o += 176) {
            int at = xOff + b;
            unpackScalesAndMins(w, o, block);
            for (int i = 0; i < 16; i += L) {
                mins = FloatVector.fromArray(F, block, i).fma(FloatVector.fromArray(F, sums, (b >> 4) + i), mins);
            }
            FloatVector s0 = FloatVector.zero(F), s1 = s0;
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, o + 48 + j, LE);
                ByteVector h = ByteVector.fromMemorySegment(B, w, o + 16 + j, LE);
                ByteVector low = q.and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and(FIFTH_BIT));
                ByteVector high = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and(FIFTH_BIT));
                s0 = ((FloatVector) low.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + j), s0);
                s1 = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 32 + j), s1);
            }
            acc0 = s0.fma(FloatVector.broadcast(F, block[0]), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, block[1]), acc1);
            FloatVector s2 = FloatVector.zero(F), s3 = s2;
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, o + 80 + j, LE);
                ByteVector h = ByteVector.fromMemorySegment(B, w, o + 16 + j, LE);
                ByteVector low = q.and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and(FIFTH_BIT));
                ByteVector high = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 1).reinterpretAsBytes().and(FIFTH_BIT));
                s2 = ((FloatVector) low.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 64 + j), s2);
                s3 = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 96 + j), s3);
            }
            acc0 = s2.fma(FloatVector.broadcast(F, block[2]), acc0);
            acc1 = s3.fma(FloatVector.broadcast(F, block[3]), acc1);
            FloatVector s4 = FloatVector.zero(F), s5 = s4;
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, o + 112 + j, LE);
                ByteVector h = ByteVector.fromMemorySegment(B, w, o + 16 + j, LE);
                ByteVector low = q.and(NIBBLE).or(h.and(FIFTH_BIT));
                ByteVector high = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 1).reinterpretAsBytes().and(FIFTH_BIT));
                s4 = ((FloatVector) low.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 128 + j), s4);
                s5 = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 160 + j), s5);
            }
            acc0 = s4.fma(FloatVector.broadcast(F, block[4]), acc0);
            acc1 = s5.fma(FloatVector.broadcast(F, block[5]), acc1);
            FloatVector s6 = FloatVector.zero(F), s7 = s6;
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, o + 144 + j, LE);
                ByteVector h = ByteVector.fromMemorySegment(B, w, o + 16 + j, LE);
                ByteVector low = q.and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and(FIFTH_BIT));
                ByteVector high = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 3).reinterpretAsBytes().and(FIFTH_BIT));
                s6 = ((FloatVector) low.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 192 + j), s6);
                s7 = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, at + 224 + j), s7);
            }
            acc0 = s6.fma(FloatVector.broadcast(F, block[6]), acc0);
            acc1 = s7.fma(FloatVector.broadcast(F, block[7]), acc1);
        }
        return acc0.add(acc1).sub(mins).reduceLanes(VectorOperators.ADD);
    }

    /** Q4_K values of a row as floats, {@code d*scale*q - dmin*min} rounded as the scalar decoder does. */
    static void widenQ4K(MemorySegment w, long off, float[] out, int outOff, int n) {
        float[] block = new float[16];
        for (int b = 0; b < n; b += 256, off += 144) {
            unpackScalesAndMins(w, off, block);
            int at = outOff + b;
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 16 + j, LE);
                ((FloatVector) q.and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).mul(block[0]).sub(block[8]).intoArray(out, at + j);
                ((FloatVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).mul(block[1]).sub(block[9]).intoArray(out, at + 32 + j);
            }
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 48 + j, LE);
                ((FloatVector) q.and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).mul(block[2]).sub(block[10]).intoArray(out, at + 64 + j);
                ((FloatVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).mul(block[3]).sub(block[11]).intoArray(out, at + 96 + j);
            }
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 80 + j, LE);
                ((FloatVector) q.and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).mul(block[4]).sub(block[12]).intoArray(out, at + 128 + j);
                ((FloatVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).mul(block[5]).sub(block[13]).intoArray(out, at + 160 + j);
            }
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 112 + j, LE);
                ((FloatVector) q.and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).mul(block[6]).sub(block[14]).intoArray(out, at + 192 + j);
                ((FloatVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).convertShape(VectorOperators.B2F, F, 0)).mul(block[7]).sub(block[15]).intoArray(out, at + 224 + j);
            }
        }
    }

    /** Q5_K values of a row as floats, {@code d*scale*q - dmin*min} rounded as the scalar decoder does. */
    static void widenQ5K(MemorySegment w, long off, float[] out, int outOff, int n) {
        float[] block = new float[16];
        for (int b = 0; b < n; b += 256, off += 176) {
            unpackScalesAndMins(w, off, block);
            int at = outOff + b;
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 48 + j, LE);
                ByteVector h = ByteVector.fromMemorySegment(B, w, off + 16 + j, LE);
                ((FloatVector) q.and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and(FIFTH_BIT)).convertShape(VectorOperators.B2F, F, 0)).mul(block[0]).sub(block[8]).intoArray(out, at + j);
                ((FloatVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and(FIFTH_BIT)).convertShape(VectorOperators.B2F, F, 0)).mul(block[1]).sub(block[9]).intoArray(out, at + 32 + j);
            }
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 80 + j, LE);
                ByteVector h = ByteVector.fromMemorySegment(B, w, off + 16 + j, LE);
                ((FloatVector) q.and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and(FIFTH_BIT)).convertShape(VectorOperators.B2F, F, 0)).mul(block[2]).sub(block[10]).intoArray(out, at + 64 + j);
                ((FloatVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 1).reinterpretAsBytes().and(FIFTH_BIT)).convertShape(VectorOperators.B2F, F, 0)).mul(block[3]).sub(block[11]).intoArray(out, at + 96 + j);
            }
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 112 + j, LE);
                ByteVector h = ByteVector.fromMemorySegment(B, w, off + 16 + j, LE);
                ((FloatVector) q.and(NIBBLE).or(h.and(FIFTH_BIT)).convertShape(VectorOperators.B2F, F, 0)).mul(block[4]).sub(block[12]).intoArray(out, at + 128 + j);
                ((FloatVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 1).reinterpretAsBytes().and(FIFTH_BIT)).convertShape(VectorOperators.B2F, F, 0)).mul(block[5]).sub(block[13]).intoArray(out, at + 160 + j);
            }
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 144 + j, LE);
                ByteVector h = ByteVector.fromMemorySegment(B, w, off + 16 + j, LE);
                ((FloatVector) q.and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and(FIFTH_BIT)).convertShape(VectorOperators.B2F, F, 0)).mul(block[6]).sub(block[14]).intoArray(out, at + 192 + j);
                ((FloatVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 3).reinterpretAsBytes().and(FIFTH_BIT)).convertShape(VectorOperators.B2F, F, 0)).mul(block[7]).sub(block[15]).intoArray(out, at + 224 + j);
            }
        }
    }

    /** Q6_K values of a row as floats, {@code (d*scale) * (q - 32)} rounded as the scalar decoder does. */
    static void widenQ6K(MemorySegment w, long off, float[] out, int outOff, int n) {
        float[] scales = new float[16];
        for (int b = 0; b < n; b += 256, off += 210) {
            FloatVector d = FloatVector.broadcast(F, WeightMatrix.f16(w, off + 208));
            ByteVector sc = ByteVector.fromMemorySegment(B128, w, off + 192, LE);
            for (int part = 0; part < 16 / L; part++) {
                ((FloatVector) sc.convertShape(VectorOperators.B2F, F, part)).mul(d).intoArray(scales, part * L);
            }
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < 32; j += L) {
                    ByteVector ql0 = ByteVector.fromMemorySegment(B, w, off + 64 * h + j, LE);
                    ByteVector ql1 = ByteVector.fromMemorySegment(B, w, off + 64 * h + 32 + j, LE);
                    ByteVector qh = ByteVector.fromMemorySegment(B, w, off + 128 + 32 * h + j, LE);
                    int at = outOff + b + 128 * h + j;
                    int s = 8 * h + (j >> 4);
                    ((FloatVector) ql0.and(NIBBLE).or(qh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and(TOP_TWO_BITS)).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0))
                            .mul(scales[s]).intoArray(out, at);
                    ((FloatVector) ql1.and(NIBBLE).or(qh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and(TOP_TWO_BITS)).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0))
                            .mul(scales[s + 2]).intoArray(out, at + 32);
                    ((FloatVector) ql0.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(qh.and(TOP_TWO_BITS)).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0))
                            .mul(scales[s + 4]).intoArray(out, at + 64);
                    ((FloatVector) ql1.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(qh.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and(TOP_TWO_BITS)).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0))
                            .mul(scales[s + 6]).intoArray(out, at + 96);
                }
            }
        }
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
     * Q6_K row times x. Each super-block's 16 scales times d as floats first; the four quarters of each half
     * are written out with one accumulator each. No
     * helper methods in the loop: C2 stops inlining small methods past its node budget
     * ({@code NodeCountInliningCutoff}), and every vector crossing such a call is boxed (ten times slower);
     * the Vector API's own methods are force-inlined.
     */
    static float dotQ6K(KQuantMatrix m, long off, float[] x, int xOff, int n) {
        MemorySegment w = m.data;
        float[] scales = new float[16];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long o = off;
        for (int b = 0; b < n; b += 256, o += 210) {
            FloatVector d = FloatVector.broadcast(F, WeightMatrix.f16(w, o + 208));
            ByteVector sc = ByteVector.fromMemorySegment(B128, w, o + 192, LE);
            for (int part = 0; part < 16 / L; part++) {
                ((FloatVector) sc.convertShape(VectorOperators.B2F, F, part)).mul(d).intoArray(scales, part * L);
            }
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < 32; j += L) {
                    ByteVector ql0 = ByteVector.fromMemorySegment(B, w, o + 64 * h + j, LE);
                    ByteVector ql1 = ByteVector.fromMemorySegment(B, w, o + 64 * h + 32 + j, LE);
                    ByteVector qh = ByteVector.fromMemorySegment(B, w, o + 128 + 32 * h + j, LE);
                    int at = xOff + b + 128 * h + j;
                    int s = 8 * h + (j >> 4);
                    ByteVector q0 = ql0.and(NIBBLE).or(qh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and(TOP_TWO_BITS)).sub((byte) 32);
                    a0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, at))
                            .fma(FloatVector.broadcast(F, scales[s]), a0);
                    ByteVector q1 = ql1.and(NIBBLE).or(qh.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and(TOP_TWO_BITS)).sub((byte) 32);
                    a1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, at + 32))
                            .fma(FloatVector.broadcast(F, scales[s + 2]), a1);
                    ByteVector q2 = ql0.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(qh.and(TOP_TWO_BITS)).sub((byte) 32);
                    a2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, at + 64))
                            .fma(FloatVector.broadcast(F, scales[s + 4]), a2);
                    ByteVector q3 = ql1.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE).or(qh.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and(TOP_TWO_BITS)).sub((byte) 32);
                    a3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, at + 96))
                            .fma(FloatVector.broadcast(F, scales[s + 6]), a3);
                }
            }
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }

    static float dotQ8K(KQuantMatrix m, long off, float[] x, int xOff, int n) {
        MemorySegment w = m.data;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, off += 292) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            for (int j = 0; j < 256; j += 2 * L) {
                s0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, off + 4 + j, LE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xOff + b + j), s0);
                s1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, off + 4 + j + L, LE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xOff + b + j + L), s1);
            }
            acc = s0.add(s1).fma(FloatVector.broadcast(F, w.get(WeightMatrix.F32_LE, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
