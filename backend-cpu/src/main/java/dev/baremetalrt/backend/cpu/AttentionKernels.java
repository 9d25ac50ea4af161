package dev.baremetalrt.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernel for the weighted sum of one query head's values, used when {@link Simd#ENABLED}
 * ({@link Ops#attentionValues} holds the scalar form and the contract). The head's output stays in
 * registers for the whole pass over positions, where one {@code axpy} per position loaded and stored it
 * every time; eight independent accumulators, because each FMA waits four cycles for the previous one
 * into the same register and two FMA units need eight chains in flight to stay busy.
 */
final class AttentionKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private AttentionKernels() {}

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
