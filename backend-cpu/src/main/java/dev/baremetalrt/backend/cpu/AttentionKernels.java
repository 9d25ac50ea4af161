package dev.baremetalrt.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels for one query head's attention over a session's cached positions, used when
 * {@link Simd#ENABLED} ({@link Ops#attentionScores} and {@link Ops#attentionValues} hold the scalar forms and
 * the contracts). Both keep several independent FMA chains in flight: each FMA waits four cycles for the
 * previous one into the same register. Scores take four positions per pass over the query (1.7x one dot
 * product per position at a head size of 64); the weighted sum keeps the head's output in registers for the
 * whole pass over positions, where one {@code axpy} per position loaded and stored it every time (2-3x).
 */
final class AttentionKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private AttentionKernels() {}

    /** See {@link Ops#attentionScores}: four positions per pass over the query, each with its own FMA chain. */
    static void scores(float[] q, int qOff, float[] keys, int kOff, int rowStride, int headDim, int len, float scale, float[] score) {
        int upper = F.loopBound(headDim);
        int t = 0;
        for (; t + 4 <= len; t += 4) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int k0 = kOff + t * rowStride;
            for (int c = 0; c < upper; c += L) {
                FloatVector qv = FloatVector.fromArray(F, q, qOff + c);
                a0 = FloatVector.fromArray(F, keys, k0 + c).fma(qv, a0);
                a1 = FloatVector.fromArray(F, keys, k0 + rowStride + c).fma(qv, a1);
                a2 = FloatVector.fromArray(F, keys, k0 + 2 * rowStride + c).fma(qv, a2);
                a3 = FloatVector.fromArray(F, keys, k0 + 3 * rowStride + c).fma(qv, a3);
            }
            score[t] = (a0.reduceLanes(VectorOperators.ADD) + tail(q, qOff, keys, k0, upper, headDim)) * scale;
            score[t + 1] = (a1.reduceLanes(VectorOperators.ADD) + tail(q, qOff, keys, k0 + rowStride, upper, headDim)) * scale;
            score[t + 2] = (a2.reduceLanes(VectorOperators.ADD) + tail(q, qOff, keys, k0 + 2 * rowStride, upper, headDim)) * scale;
            score[t + 3] = (a3.reduceLanes(VectorOperators.ADD) + tail(q, qOff, keys, k0 + 3 * rowStride, upper, headDim)) * scale;
        }
        for (; t < len; t++) { // up to three positions left
            score[t] = VectorKernels.dot(q, qOff, keys, kOff + t * rowStride, headDim) * scale;
        }
    }

    /** The part of a dot product past the last whole vector. */
    private static float tail(float[] q, int qOff, float[] keys, int kOff, int from, int headDim) {
        float sum = 0;
        for (int c = from; c < headDim; c++) {
            sum += q[qOff + c] * keys[kOff + c];
        }
        return sum;
    }

    /** See {@link Ops#attentionValues}: two vectors of the head at a time, four positions per pass. */
    static void values(float[] p, int len, float[] values, int vOff, int rowStride, int headDim, float[] out, int o) {
        int c = 0;
        for (; c + 2 * L <= headDim; c += 2 * L) {
            FloatVector x0 = FloatVector.zero(F), x1 = x0, x2 = x0, x3 = x0;
            FloatVector y0 = x0, y1 = x0, y2 = x0, y3 = x0;
            int at = vOff + c;
            int t = 0;
            for (; t + 4 <= len; t += 4, at += 4 * rowStride) {
                FloatVector p0 = FloatVector.broadcast(F, p[t]);
                FloatVector p1 = FloatVector.broadcast(F, p[t + 1]);
                FloatVector p2 = FloatVector.broadcast(F, p[t + 2]);
                FloatVector p3 = FloatVector.broadcast(F, p[t + 3]);
                x0 = FloatVector.fromArray(F, values, at).fma(p0, x0);
                y0 = FloatVector.fromArray(F, values, at + L).fma(p0, y0);
                x1 = FloatVector.fromArray(F, values, at + rowStride).fma(p1, x1);
                y1 = FloatVector.fromArray(F, values, at + rowStride + L).fma(p1, y1);
                x2 = FloatVector.fromArray(F, values, at + 2 * rowStride).fma(p2, x2);
                y2 = FloatVector.fromArray(F, values, at + 2 * rowStride + L).fma(p2, y2);
                x3 = FloatVector.fromArray(F, values, at + 3 * rowStride).fma(p3, x3);
                y3 = FloatVector.fromArray(F, values, at + 3 * rowStride + L).fma(p3, y3);
            }
            for (; t < len; t++, at += rowStride) {
                FloatVector p0 = FloatVector.broadcast(F, p[t]);
                x0 = FloatVector.fromArray(F, values, at).fma(p0, x0);
                y0 = FloatVector.fromArray(F, values, at + L).fma(p0, y0);
            }
            x0.add(x1).add(x2.add(x3)).intoArray(out, o + c);
            y0.add(y1).add(y2.add(y3)).intoArray(out, o + c + L);
        }
        for (; c < headDim; c += L) { // one vector (or a masked part of one) left
            VectorMask<Float> m = F.indexInRange(c, headDim);
            FloatVector x0 = FloatVector.zero(F), x1 = x0;
            int at = vOff + c;
            int t = 0;
            for (; t + 2 <= len; t += 2, at += 2 * rowStride) {
                x0 = FloatVector.fromArray(F, values, at, m).fma(FloatVector.broadcast(F, p[t]), x0);
                x1 = FloatVector.fromArray(F, values, at + rowStride, m).fma(FloatVector.broadcast(F, p[t + 1]), x1);
            }
            if (t < len) {
                x0 = FloatVector.fromArray(F, values, at, m).fma(FloatVector.broadcast(F, p[t]), x0);
            }
            x0.add(x1).intoArray(out, o + c, m);
        }
    }
}
