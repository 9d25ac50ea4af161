package dev.baremetalrt.core.tokenizer;

/** Converts text to token ids and back. Thread-safe. */
public interface Tokenizer {
    int vocabSize();

    /** Beginning-of-sequence id, or -1 when the vocabulary has none. */
    int bosId();

    /** End-of-sequence id, or -1. */
    int eosId();

    /** Whether the model's metadata asks for BOS in front of a prompt. */
    boolean addBosByDefault();

    /** Ids for {@code text}, with BOS in front when {@code addBos}. Special-token text is not parsed. */
    int[] encode(String text, boolean addBos);

    /** Control and added special tokens that {@link #encode(String, boolean, boolean)} recognises in text. */
    default SpecialTokens specialTokens() {
        return SpecialTokens.NONE;
    }

    /**
     * Ids for {@code text}; with {@code parseSpecial}, the text of a special token ({@link #specialTokens})
     * becomes that token, as a rendered chat template needs. Each plain fragment is encoded on its own, as
     * llama.cpp does (a SentencePiece vocabulary gives each its dummy-prefix space).
     */
    default int[] encode(String text, boolean addBos, boolean parseSpecial) {
        if (!parseSpecial || specialTokens().isEmpty()) {
            return encode(text, addBos);
        }
        java.util.List<SpecialTokens.Fragment> fragments = specialTokens().split(text);
        int[][] parts = new int[fragments.size()][];
        int total = addBos && bosId() >= 0 ? 1 : 0;
        for (int i = 0; i < parts.length; i++) {
            SpecialTokens.Fragment f = fragments.get(i);
            parts[i] = f.isSpecial() ? new int[] {f.token()} : encode(f.text(), false);
            total += parts[i].length;
        }
        int[] out = new int[total];
        int at = 0;
        if (addBos && bosId() >= 0) {
            out[at++] = bosId();
        }
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Ids for {@code text}, with BOS as the model's metadata says. */
    default int[] encode(String text) {
        return encode(text, addBosByDefault());
    }

    /** Whether generation stops at this token (EOS, end-of-turn). */
    default boolean isEndOfGeneration(int token) {
        return token == eosId();
    }

    /** The bytes a token stands for when decoded (empty for control tokens). */
    byte[] pieceBytes(int token);

    /** The token's vocabulary entry as stored, for display. */
    String tokenText(int token);

    /** Whether decoding removes one space at the start of the text (SentencePiece's dummy prefix). */
    default boolean stripsLeadingSpace() {
        return false;
    }

    /** A decoder for one stream of ids. */
    default StreamingDecoder newDecoder() {
        return new StreamingDecoder(this);
    }

    /** Decodes a whole sequence. */
    default String decode(int[] tokens) {
        StreamingDecoder d = newDecoder();
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            sb.append(d.accept(t));
        }
        return sb.append(d.flush()).toString();
    }
}
