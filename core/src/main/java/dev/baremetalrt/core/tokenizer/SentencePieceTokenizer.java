package dev.baremetalrt.core.tokenizer;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece BPE as llama.cpp runs it for GGUF vocabularies with {@code tokenizer.ggml.model=llama}:
 * spaces become U+2581, a dummy-prefix space is added in front, the text is split into UTF-8 characters,
 * adjacent pieces are merged greedily by the score of the merged piece (highest first, leftmost on ties),
 * and any piece left that is not in the vocabulary is written as its bytes ({@code <0xXX>} tokens).
 */
public final class SentencePieceTokenizer implements Tokenizer {
    /** SentencePiece token types as GGUF stores them. */
    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_USER_DEFINED = 4;
    public static final int TYPE_UNUSED = 5;
    public static final int TYPE_BYTE = 6;

    private static final String SPACE = "\u2581";

    private final String[] tokens;
    private final float[] scores;
    private final int[] types;
    private final SpecialTokens specialTokens;
    private final Map<String, Integer> ids;
    private final int[] byteTokens = new int[256];
    private final byte[][] pieces;
    private final int bos;
    private final int eos;
    private final int unk;
    private final boolean addBos;
    private final boolean addSpacePrefix;

    /**
     * @param tokens         vocabulary pieces, with U+2581 for spaces
     * @param scores         merge scores (higher merges first); may be null (all 0)
     * @param types          SentencePiece token types; may be null (all normal, {@code <0xXX>} as bytes)
     * @param addSpacePrefix whether a space is put in front of the text before encoding
     */
    public SentencePieceTokenizer(String[] tokens, float[] scores, int[] types, int bos, int eos, int unk,
                                  boolean addBos, boolean addSpacePrefix) {
        requireNonNull(tokens, "tokens is null");
        int n = tokens.length;
        if (scores != null && scores.length != n || types != null && types.length != n) {
            throw new IllegalArgumentException("vocabulary has %d tokens but %d scores and %d types"
                    .formatted(n, scores == null ? n : scores.length, types == null ? n : types.length));
        }
        this.tokens = tokens.clone();
        this.scores = scores == null ? new float[n] : scores.clone();
        this.types = new int[n];
        this.ids = HashMap.newHashMap(n);
        this.pieces = new byte[n][];
        java.util.Arrays.fill(byteTokens, -1);
        for (int i = 0; i < n; i++) {
            String t = tokens[i];
            int type = types != null ? types[i] : isByteToken(t) ? TYPE_BYTE : TYPE_NORMAL;
            this.types[i] = type;
            ids.putIfAbsent(t, i);
            if (type == TYPE_BYTE && isByteToken(t)) {
                byteTokens[Integer.parseInt(t.substring(3, 5), 16)] = i;
            }
            pieces[i] = switch (type) {
                case TYPE_BYTE -> isByteToken(t) ? new byte[] {(byte) Integer.parseInt(t.substring(3, 5), 16)} : new byte[0];
                case TYPE_CONTROL, TYPE_UNUSED -> new byte[0];
                case TYPE_UNKNOWN -> " \u2047 ".getBytes(StandardCharsets.UTF_8);
                default -> t.replace(SPACE, " ").getBytes(StandardCharsets.UTF_8);
            };
        }
        this.bos = checkId("bos", bos, n);
        this.eos = checkId("eos", eos, n);
        this.unk = checkId("unk", unk, n);
        this.addBos = addBos;
        this.addSpacePrefix = addSpacePrefix;
        this.specialTokens = SpecialTokens.of(this.tokens, i -> this.types[i] == TYPE_CONTROL || this.types[i] == TYPE_USER_DEFINED);
    }

    private static int checkId(String what, int id, int n) {
        if (id < -1 || id >= n) {
            throw new IllegalArgumentException("%s token id %d is outside the vocabulary of %d".formatted(what, id, n));
        }
        return id;
    }

    private static boolean isByteToken(String t) {
        return t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")
                && Character.digit(t.charAt(3), 16) >= 0 && Character.digit(t.charAt(4), 16) >= 0;
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public int bosId() {
        return bos;
    }

    @Override
    public int eosId() {
        return eos;
    }

    @Override
    public boolean addBosByDefault() {
        return addBos && bos >= 0;
    }

    @Override
    public boolean stripsLeadingSpace() {
        return addSpacePrefix;
    }

    @Override
    public byte[] pieceBytes(int token) {
        if (token < 0 || token >= tokens.length) {
            throw new IllegalArgumentException("token id %d is outside the vocabulary of %d".formatted(token, tokens.length));
        }
        return pieces[token];
    }

    @Override
    public String tokenText(int token) {
        return tokens[token];
    }

    @Override
    public int[] encode(String text, boolean withBos) {
        requireNonNull(text, "text is null");
        List<Integer> out = new ArrayList<>();
        if (withBos && bos >= 0) {
            out.add(bos);
        }
        if (!text.isEmpty()) {
            String escaped = ((addSpacePrefix ? " " : "") + text).replace(" ", SPACE);
            tokenize(escaped, out);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A symbol of the merge list: a substring of the text, linked to its neighbours. */
    private static final class Symbol {
        int prev;
        int next;
        int start;
        int length; // in chars of the escaped text; 0 once merged into its left neighbour
    }

    private record Bigram(int left, int right, float score, int length) {}

    private void tokenize(String text, List<Integer> out) {
        List<Symbol> symbols = new ArrayList<>();
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int len = Character.charCount(cp);
            Symbol s = new Symbol();
            s.start = i;
            s.length = len;
            s.prev = symbols.size() - 1;
            s.next = i + len < text.length() ? symbols.size() + 1 : -1;
            symbols.add(s);
            i += len;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) ->
                a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        Map<String, int[]> revMerge = new HashMap<>();
        for (int i = 1; i < symbols.size(); i++) {
            addBigram(text, symbols, i - 1, i, queue, revMerge);
        }
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            Symbol left = symbols.get(b.left);
            Symbol right = symbols.get(b.right);
            if (left.length == 0 || right.length == 0 || left.length + right.length != b.length) {
                continue; // stale: one side was merged since this bigram was queued
            }
            left.length += right.length;
            right.length = 0;
            left.next = right.next;
            if (right.next >= 0) {
                symbols.get(right.next).prev = b.left;
            }
            addBigram(text, symbols, left.prev, b.left, queue, revMerge);
            addBigram(text, symbols, b.left, left.next, queue, revMerge);
        }
        for (int i = symbols.isEmpty() ? -1 : 0; i >= 0; i = symbols.get(i).next) {
            Symbol s = symbols.get(i);
            resegment(text.substring(s.start, s.start + s.length), revMerge, out);
        }
    }

    private void addBigram(String text, List<Symbol> symbols, int left, int right, PriorityQueue<Bigram> queue, Map<String, int[]> revMerge) {
        if (left < 0 || right < 0) {
            return;
        }
        Symbol l = symbols.get(left);
        Symbol r = symbols.get(right);
        String merged = text.substring(l.start, l.start + l.length + r.length);
        Integer id = ids.get(merged);
        if (id == null) {
            return;
        }
        queue.add(new Bigram(left, right, scores[id], merged.length()));
        revMerge.put(merged, new int[] {l.length});
    }

    private void resegment(String piece, Map<String, int[]> revMerge, List<Integer> out) {
        Integer id = ids.get(piece);
        if (id != null) {
            out.add(id);
            return;
        }
        int[] split = revMerge.get(piece);
        if (split != null) {
            resegment(piece.substring(0, split[0]), revMerge, out);
            resegment(piece.substring(split[0]), revMerge, out);
            return;
        }
        for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
            int t = byteTokens[b & 0xFF];
            out.add(t >= 0 ? t : unk);
        }
    }

    /** Control and user-defined tokens, by text. */
    @Override
    public SpecialTokens specialTokens() {
        return specialTokens;
    }
}
