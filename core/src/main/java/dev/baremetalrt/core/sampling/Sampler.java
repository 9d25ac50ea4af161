package dev.baremetalrt.core.sampling;

import static java.util.Objects.requireNonNull;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Picks tokens for one generation. Holds the random stream, so the same seed and the same logits give the
 * same tokens. Not thread-safe: one per generation.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;
    private int[] order = new int[0];
    private float[] probs = new float[0];

    public Sampler(SamplingParams params) {
        this.params = requireNonNull(params, "params is null");
        this.random = new SplittableRandom(params.seed().orElseGet(() -> new SecureRandom().nextLong()));
    }

    public SamplingParams params() {
        return params;
    }

    /**
     * Chooses the next token. {@code logits} is modified (penalties applied). {@code history} holds the
     * ids so far (prompt and generated); {@code generatedFrom} is where the generated ids start in it.
     */
    public int sample(float[] logits, int[] history, int historyLength, int generatedFrom) {
        applyPenalties(logits, history, historyLength, generatedFrom);
        if (params.isGreedy()) {
            return argmax(logits);
        }
        int n = logits.length;
        if (order.length != n) {
            order = new int[n];
            probs = new float[n];
        }
        // Candidates sorted by logit, descending; with top-k only the best k need ordering.
        int count = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        selectTop(logits, count);
        // Probabilities at temperature 1 for the filters (llama.cpp applies temperature last).
        float max = logits[order[0]];
        double sum = 0;
        for (int i = 0; i < count; i++) {
            probs[i] = (float) Math.exp(logits[order[i]] - max);
            sum += probs[i];
        }
        if (params.topP() < 1f) {
            double cumulative = 0;
            int keep = count;
            for (int i = 0; i < count; i++) {
                cumulative += probs[i] / sum;
                if (cumulative >= params.topP()) {
                    keep = i + 1;
                    break;
                }
            }
            count = keep;
        }
        if (params.minP() > 0f) {
            float threshold = probs[0] * params.minP();
            int keep = 1;
            while (keep < count && probs[keep] >= threshold) {
                keep++;
            }
            count = keep;
        }
        double total = 0;
        for (int i = 0; i < count; i++) {
            probs[i] = (float) Math.exp((logits[order[i]] - max) / params.temperature());
            total += probs[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < count; i++) {
            r -= probs[i];
            if (r <= 0) {
                return order[i];
            }
        }
        return order[count - 1];
    }

    private void applyPenalties(float[] logits, int[] history, int length, int generatedFrom) {
        boolean repetition = params.repetitionPenalty() != 1f;
        boolean openAi = params.presencePenalty() != 0f || params.frequencyPenalty() != 0f;
        if ((!repetition && !openAi) || params.penaltyWindow() == 0) {
            return;
        }
        int from = Math.max(0, length - params.penaltyWindow());
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = from; i < length; i++) {
            counts.merge(history[i], 1, Integer::sum);
        }
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            int t = e.getKey();
            if (t < 0 || t >= logits.length) {
                continue;
            }
            if (repetition) {
                logits[t] = logits[t] > 0 ? logits[t] / params.repetitionPenalty() : logits[t] * params.repetitionPenalty();
            }
            if (openAi) {
                logits[t] -= params.presencePenalty() + params.frequencyPenalty() * e.getValue();
            }
        }
    }

    /** Fills {@code order[0..k)} with the indices of the k largest logits, largest first (ties: lower id first). */
    private void selectTop(float[] logits, int k) {
        int n = logits.length;
        if (k == n) {
            // One primitive sort of (logit, id) packed in a long: high half orders by logit, low half puts
            // the lower id last among equal logits, so reading from the end gives the wanted order.
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) {
                int bits = Float.floatToIntBits(logits[i]);
                int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF);
                keys[i] = ((long) sortable << 32) | (0xFFFFFFFFL - i);
            }
            Arrays.sort(keys);
            for (int i = 0; i < n; i++) {
                order[i] = (int) (0xFFFFFFFFL - (keys[n - 1 - i] & 0xFFFFFFFFL));
            }
            return;
        }
        // Insertion into a sorted prefix of length k: O(n * k) worst case but O(n) for typical k and logits.
        int size = 0;
        for (int i = 0; i < n; i++) {
            float v = logits[i];
            if (size == k && !(v > logits[order[k - 1]])) {
                continue;
            }
            int pos = size < k ? size++ : k - 1;
            while (pos > 0 && v > logits[order[pos - 1]]) {
                order[pos] = order[pos - 1];
                pos--;
            }
            order[pos] = i;
        }
    }

    /** Index of the largest value; the lowest index wins ties. */
    public static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
