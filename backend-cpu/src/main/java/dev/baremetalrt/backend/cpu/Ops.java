package dev.baremetalrt.backend.cpu;

import java.util.Arrays;

/** The element-wise parts of a Llama layer, written plainly (they are a small share of the time). */
final class Ops {
    private Ops() {}

    /** out[o..o+n) = x[xo..xo+n) / rms(x) * weight. */
    static void rmsNorm(float[] out, int o, float[] x, int xo, float[] weight, int n, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            ss += v * v;
        }
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            out[o + i] = x[xo + i] * scale * weight[i];
        }
    }

    /**
     * Fills {@code cos}/{@code sin} (row i = position {@code positions[i]}, {@code invFreq.length} pairs per
     * row). Computed once per forward call and shared by every layer.
     */
    static void ropeTables(int[] positions, int n, float[] invFreq, float[] cos, float[] sin) {
        int pairs = invFreq.length;
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < pairs; p++) {
                double angle = positions[i] * (double) invFreq[p];
                cos[i * pairs + p] = (float) Math.cos(angle);
                sin[i * pairs + p] = (float) Math.sin(angle);
            }
        }
    }

    /**
     * Rotates adjacent pairs (x[2p], x[2p+1]) of each head by the angles of table row {@code row}, for the
     * first {@code 2 * pairs} dimensions of every head (GGUF's interleaved layout).
     */
    static void rope(float[] x, int off, int heads, int headDim, float[] cos, float[] sin, int row, int pairs) {
        for (int p = 0; p < pairs; p++) {
            float c = cos[row * pairs + p];
            float s = sin[row * pairs + p];
            for (int h = 0; h < heads; h++) {
                int at = off + h * headDim + 2 * p;
                float a = x[at];
                float b = x[at + 1];
                x[at] = a * c - b * s;
                x[at + 1] = a * s + b * c;
            }
        }
    }

    /** In-place softmax over x[0..n). */
    static void softmax(float[] x, int n) {
        if (Simd.ENABLED) {
            VectorKernels.softmax(x, n);
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        float sum = 0;
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.exp(x[i] - max);
            sum += x[i];
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            x[i] *= inv;
        }
    }

    /** gate[off + i] = silu(gate[off + i]) * up[off + i] for i in [0, n). */
    static void siluMul(float[] gate, float[] up, int off, int n) {
        if (Simd.ENABLED) {
            VectorKernels.siluMul(gate, up, off, n);
            return;
        }
        for (int i = off; i < off + n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    static void addInPlace(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) {
            x[i] += y[i];
        }
    }

    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        if (Simd.ENABLED) {
            return VectorKernels.dot(a, ao, b, bo, n);
        }
        float s = 0;
        for (int i = 0; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    /**
     * {@code score[t] = scale * dot(q[qOff..qOff+headDim), keys[kOff + t * rowStride ..][0..headDim))} for t in
     * [0, len): one query head's attention scores over the cached keys.
     */
    static void attentionScores(float[] q, int qOff, float[] keys, int kOff, int rowStride, int headDim, int len, float scale, float[] score) {
        if (Simd.ENABLED) {
            AttentionKernels.scores(q, qOff, keys, kOff, rowStride, headDim, len, scale, score);
            return;
        }
        for (int t = 0; t < len; t++) {
            float s = 0;
            int at = kOff + t * rowStride;
            for (int c = 0; c < headDim; c++) {
                s += q[qOff + c] * keys[at + c];
            }
            score[t] = s * scale;
        }
    }

    /**
     * {@code out[o..o+headDim) = sum over t in [0, len) of p[t] * values[vOff + t * rowStride ..][0..headDim)}: the
     * attention-weighted sum of one head's values (overwrites {@code out}).
     */
    static void attentionValues(float[] p, int len, float[] values, int vOff, int rowStride, int headDim, float[] out, int o) {
        if (Simd.ENABLED) {
            AttentionKernels.values(p, len, values, vOff, rowStride, headDim, out, o);
            return;
        }
        Arrays.fill(out, o, o + headDim, 0f);
        for (int t = 0; t < len; t++) {
            float pt = p[t];
            int at = vOff + t * rowStride;
            for (int d = 0; d < headDim; d++) {
                out[o + d] += pt * values[at + d];
            }
        }
    }
}
