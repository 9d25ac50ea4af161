package dev.baremetalrt.backend.cpu;

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
     * Rotates adjacent pairs (x[2i], x[2i+1]) of each head by position * invFreq[i], for the first
     * {@code invFreq.length * 2} dimensions of every head (GGUF's interleaved layout).
     */
    static void rope(float[] x, int off, int heads, int headDim, int position, float[] invFreq) {
        for (int i = 0; i < invFreq.length; i++) {
            double angle = position * (double) invFreq[i];
            float cos = (float) Math.cos(angle);
            float sin = (float) Math.sin(angle);
            for (int h = 0; h < heads; h++) {
                int at = off + h * headDim + 2 * i;
                float a = x[at];
                float b = x[at + 1];
                x[at] = a * cos - b * sin;
                x[at + 1] = a * sin + b * cos;
            }
        }
    }

    /** In-place softmax over x[0..n). */
    static void softmax(float[] x, int n) {
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

    /** gate[i] = silu(gate[i]) * up[i]. */
    static void siluMul(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
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

    /** y[yo..yo+n) += alpha * x[xo..xo+n). */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        if (Simd.ENABLED) {
            VectorKernels.axpy(alpha, x, xo, y, yo, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }
}
