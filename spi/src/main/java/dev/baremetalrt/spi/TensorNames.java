package dev.baremetalrt.spi;

/**
 * Canonical tensor names, as GGUF spells them. Every {@link WeightSource} exposes its tensors under
 * these names whatever the file format. Matrices are stored row-major with {@code shape[0]} = row
 * length (the input size), as ggml lists dimensions. The rows of {@link #attnQ} and {@link #attnK} are
 * in the interleaved RoPE layout (pairs {@code x[2i], x[2i+1]} rotate together), which is GGUF's;
 * loaders of other formats convert to it.
 */
public final class TensorNames {
    public static final String TOKEN_EMBEDDING = "token_embd.weight";
    public static final String OUTPUT_NORM = "output_norm.weight";
    /** Output head; absent when tied to {@link #TOKEN_EMBEDDING}. */
    public static final String OUTPUT = "output.weight";
    /** Optional F32 vector of RoPE frequency divisors, one per rotated pair (llama.cpp's form of Llama 3.1 scaling). */
    public static final String ROPE_FREQS = "rope_freqs.weight";

    private TensorNames() {}

    public static String attnNorm(int layer) {
        return block(layer, "attn_norm");
    }

    public static String attnQ(int layer) {
        return block(layer, "attn_q");
    }

    public static String attnK(int layer) {
        return block(layer, "attn_k");
    }

    public static String attnV(int layer) {
        return block(layer, "attn_v");
    }

    public static String attnOutput(int layer) {
        return block(layer, "attn_output");
    }

    public static String ffnNorm(int layer) {
        return block(layer, "ffn_norm");
    }

    public static String ffnGate(int layer) {
        return block(layer, "ffn_gate");
    }

    public static String ffnUp(int layer) {
        return block(layer, "ffn_up");
    }

    public static String ffnDown(int layer) {
        return block(layer, "ffn_down");
    }

    /** The nine tensors of one decoder layer, in a fixed order (norms, attention, feed-forward). */
    public static java.util.List<String> layerTensors(int layer) {
        return java.util.List.of(attnNorm(layer), attnQ(layer), attnK(layer), attnV(layer), attnOutput(layer),
                ffnNorm(layer), ffnGate(layer), ffnUp(layer), ffnDown(layer));
    }

    private static String block(int layer, String name) {
        if (layer < 0) {
            throw new IllegalArgumentException("layer must be >= 0, got " + layer);
        }
        return "blk." + layer + "." + name + ".weight";
    }
}
