package dev.baremetalrt.core.engine;

/**
 * Log-probabilities of one generated token and of the most likely alternatives at its position, from the
 * model's logits before penalties and temperature (what OpenAI's {@code logprobs} reports).
 *
 * @param token       the chosen id
 * @param logprob     its natural-log probability
 * @param topTokens   the most likely ids, best first ({@code top_logprobs} of them)
 * @param topLogprobs their log-probabilities
 */
public record TokenLogprobs(int token, float logprob, int[] topTokens, float[] topLogprobs) {
    public TokenLogprobs {
        topTokens = topTokens.clone();
        topLogprobs = topLogprobs.clone();
    }

    @Override
    public int[] topTokens() {
        return topTokens.clone();
    }

    @Override
    public float[] topLogprobs() {
        return topLogprobs.clone();
    }

    /** From raw logits: the chosen token's log-probability and the {@code top} best alternatives. */
    static TokenLogprobs of(float[] logits, int token, int top) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        float logZ = (float) (max + Math.log(sum));
        int[] best = new int[Math.min(top, logits.length)];
        float[] bestLp = new float[best.length];
        java.util.Arrays.fill(best, -1);
        for (int i = 0; i < logits.length; i++) {
            for (int k = 0; k < best.length; k++) {
                if (best[k] < 0 || logits[i] > logits[best[k]]) {
                    System.arraycopy(best, k, best, k + 1, best.length - k - 1);
                    best[k] = i;
                    break;
                }
            }
        }
        for (int k = 0; k < best.length; k++) {
            bestLp[k] = logits[best[k]] - logZ;
        }
        return new TokenLogprobs(token, logits[token] - logZ, best, bestLp);
    }
}
