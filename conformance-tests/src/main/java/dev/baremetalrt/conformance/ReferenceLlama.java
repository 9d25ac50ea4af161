package dev.baremetalrt.conformance;

import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightSource;
import java.util.ArrayList;
import java.util.List;

/**
 * A Llama decoder in float64, written to be read: no batching, no threads, no tricks. Weights are
 * decoded once by {@link ReferenceWeights}. RoPE rotates adjacent pairs (GGUF layout). Use it for small
 * models only: every matrix is held as doubles.
 */
public final class ReferenceLlama {
    private final ModelConfig c;
    private final double[] embedding;
    private final double[] output;
    private final double[] outputNorm;
    private final List<double[][]> layers = new ArrayList<>();
    private final List<double[]> keyCache = new ArrayList<>();
    private final List<double[]> valueCache = new ArrayList<>();
    private int length;

    public ReferenceLlama(WeightSource weights) {
        this.c = weights.config();
        this.embedding = ReferenceWeights.decode(weights, TensorNames.TOKEN_EMBEDDING);
        this.output = weights.tensor(TensorNames.OUTPUT).map(ReferenceWeights::decode).orElse(embedding);
        this.outputNorm = ReferenceWeights.decode(weights, TensorNames.OUTPUT_NORM);
        for (int l = 0; l < c.layerCount(); l++) {
            layers.add(new double[][] {
                ReferenceWeights.decode(weights, TensorNames.attnNorm(l)),
                ReferenceWeights.decode(weights, TensorNames.attnQ(l)),
                ReferenceWeights.decode(weights, TensorNames.attnK(l)),
                ReferenceWeights.decode(weights, TensorNames.attnV(l)),
                ReferenceWeights.decode(weights, TensorNames.attnOutput(l)),
                ReferenceWeights.decode(weights, TensorNames.ffnNorm(l)),
                ReferenceWeights.decode(weights, TensorNames.ffnGate(l)),
                ReferenceWeights.decode(weights, TensorNames.ffnUp(l)),
                ReferenceWeights.decode(weights, TensorNames.ffnDown(l)),
            });
            keyCache.add(new double[0]);
            valueCache.add(new double[0]);
        }
    }

    /** Positions processed so far. */
    public int length() {
        return length;
    }

    /** Feeds the next token; returns the logits for the next position. */
    public double[] next(int token) {
        int dim = c.dim();
        int kvDim = c.kvDim();
        int headDim = c.headDim();
        int pos = length++;
        double[] x = new double[dim];
        System.arraycopy(embedding, token * dim, x, 0, dim);
        for (int l = 0; l < c.layerCount(); l++) {
            double[][] w = layers.get(l);
            double[] xb = rmsNorm(x, w[0]);
            double[] q = matVec(w[1], xb, dim, dim);
            double[] k = matVec(w[2], xb, kvDim, dim);
            double[] v = matVec(w[3], xb, kvDim, dim);
            rope(q, c.headCount(), pos);
            rope(k, c.kvHeadCount(), pos);
            double[] keys = java.util.Arrays.copyOf(keyCache.get(l), (pos + 1) * kvDim);
            double[] values = java.util.Arrays.copyOf(valueCache.get(l), (pos + 1) * kvDim);
            System.arraycopy(k, 0, keys, pos * kvDim, kvDim);
            System.arraycopy(v, 0, values, pos * kvDim, kvDim);
            keyCache.set(l, keys);
            valueCache.set(l, values);
            double[] attention = new double[dim];
            for (int h = 0; h < c.headCount(); h++) {
                int kvHead = h / c.groupSize();
                double[] scores = new double[pos + 1];
                for (int t = 0; t <= pos; t++) {
                    double s = 0;
                    for (int i = 0; i < headDim; i++) {
                        s += q[h * headDim + i] * keys[t * kvDim + kvHead * headDim + i];
                    }
                    scores[t] = s / Math.sqrt(headDim);
                }
                softmax(scores);
                for (int t = 0; t <= pos; t++) {
                    for (int i = 0; i < headDim; i++) {
                        attention[h * headDim + i] += scores[t] * values[t * kvDim + kvHead * headDim + i];
                    }
                }
            }
            add(x, matVec(w[4], attention, dim, dim));
            xb = rmsNorm(x, w[5]);
            double[] gate = matVec(w[6], xb, c.ffnDim(), dim);
            double[] up = matVec(w[7], xb, c.ffnDim(), dim);
            for (int i = 0; i < gate.length; i++) {
                gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
            }
            add(x, matVec(w[8], gate, dim, c.ffnDim()));
        }
        return matVec(output, rmsNorm(x, outputNorm), c.vocabSize(), dim);
    }

    private double[] rmsNorm(double[] x, double[] weight) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * weight[i];
        }
        return out;
    }

    /** {@code w} is {@code rows x cols}, row-major (GGUF's ne0 = cols). */
    private static double[] matVec(double[] w, double[] x, int rows, int cols) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < cols; i++) {
                s += w[r * cols + i] * x[i];
            }
            out[r] = s;
        }
        return out;
    }

    private void rope(double[] x, int heads, int pos) {
        int headDim = c.headDim();
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < c.ropeDim() / 2; i++) {
                double angle = pos / Math.pow(c.ropeTheta(), 2.0 * i / c.ropeDim()) / c.ropeScaling().divisor(i);
                int a = h * headDim + 2 * i;
                double x0 = x[a];
                double x1 = x[a + 1];
                x[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                x[a + 1] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
            }
        }
    }

    private static void softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < x.length; i++) {
            x[i] /= sum;
        }
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
