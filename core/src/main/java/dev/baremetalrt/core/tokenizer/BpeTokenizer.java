package dev.baremetalrt.core.tokenizer;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rank-ordered BPE as Hugging Face {@code tokenizers} runs it: within each pre-tokenized word, the
 * adjacent pair with the lowest merge rank is merged (leftmost first) until no pair has a rank. Two
 * flavours, chosen by {@link Mode}:
 * <ul>
 *   <li>{@link Mode#SENTENCEPIECE}: Llama 2 style: spaces become U+2581, an optional prefix is prepended,
 *       symbols are Unicode characters, and symbols missing from the vocabulary fall back to
 *       {@code <0xXX>} byte tokens; decoding strips the leading space.</li>
 *   <li>{@link Mode#BYTE_LEVEL}: GPT-2/Llama 3 style: text is split by a regex, each word's UTF-8 bytes
 *       are mapped to printable characters, and merges run on those.</li>
 * </ul>
 * Special-token text in the input is not parsed (as llama.cpp's test vectors expect).
 */
public final class BpeTokenizer implements Tokenizer {
    /** Which BPE flavour. */
    public enum Mode { SENTENCEPIECE, BYTE_LEVEL }

    private static final String SPACE = "\u2581";
    private static final char PAIR = '\u0001';
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final Map<Character, Integer> CHAR_TO_BYTE = new HashMap<>();

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
            BYTE_TO_CHAR[b] = (char) (printable ? b : next++);
            CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], b);
        }
    }

    private final Mode mode;
    private final String[] tokens;
    private final Map<String, Integer> ids;
    private final Map<String, Integer> ranks;
    private final boolean[] special;
    private final SpecialTokens specialTokens;
    private final Pattern split;
    private final String prefix;
    private final boolean ignoreMerges;
    private final int[] byteTokens = new int[256];
    private final int unk;
    private final int bos;
    private final int eos;
    private final boolean addBos;
    private final byte[][] pieces;

    /**
     * @param tokens       id to token text (nulls allowed for unused ids)
     * @param merges       merge pairs in rank order, each {@code {left, right}}
     * @param special      ids of special/control tokens (decoded to nothing)
     * @param split        pre-tokenizer regex (BYTE_LEVEL), or null for one word
     * @param prefix       text prepended before encoding (SENTENCEPIECE, e.g. U+2581), or null
     * @param ignoreMerges whether a word found whole in the vocabulary is emitted directly
     */
    public BpeTokenizer(Mode mode, String[] tokens, List<String[]> merges, boolean[] special, Pattern split, String prefix,
                        boolean ignoreMerges, int unk, int bos, int eos, boolean addBos) {
        this.mode = requireNonNull(mode, "mode is null");
        this.tokens = tokens.clone();
        this.ids = HashMap.newHashMap(tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] != null) {
                ids.putIfAbsent(tokens[i], i);
            }
        }
        this.ranks = HashMap.newHashMap(merges.size());
        for (int r = 0; r < merges.size(); r++) {
            String[] m = merges.get(r);
            ranks.putIfAbsent(m[0] + PAIR + m[1], r);
        }
        this.special = special.clone();
        this.split = split;
        this.prefix = prefix;
        this.ignoreMerges = ignoreMerges;
        this.unk = unk;
        this.bos = bos;
        this.eos = eos;
        this.addBos = addBos;
        Arrays.fill(byteTokens, -1);
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get("<0x%02X>".formatted(b));
            byteTokens[b] = id == null ? -1 : id;
        }
        this.specialTokens = SpecialTokens.of(this.tokens, i -> i < this.special.length && this.special[i]);
        this.pieces = new byte[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            pieces[i] = decodePiece(i);
        }
    }

    private byte[] decodePiece(int id) {
        String t = tokens[id];
        if (t == null || special[id]) {
            return new byte[0];
        }
        if (mode == Mode.BYTE_LEVEL) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 0; i < t.length(); i++) {
                Integer b = CHAR_TO_BYTE.get(t.charAt(i));
                if (b != null) {
                    out.write(b);
                } else {
                    out.writeBytes(String.valueOf(t.charAt(i)).getBytes(StandardCharsets.UTF_8));
                }
            }
            return out.toByteArray();
        }
        if (t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(t.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // an ordinary token that looks like one
            }
        }
        return t.replace(SPACE, " ").getBytes(StandardCharsets.UTF_8);
    }

    public Mode mode() {
        return mode;
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
        return mode == Mode.SENTENCEPIECE && prefix != null;
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
            if (mode == Mode.SENTENCEPIECE) {
                String normalized = (prefix == null ? "" : prefix) + text.replace(" ", SPACE);
                word(normalized, out);
            } else if (split == null) {
                word(toByteLevel(text), out);
            } else {
                Matcher m = split.matcher(text);
                int last = 0;
                while (m.find()) {
                    if (m.start() > last) {
                        word(toByteLevel(text.substring(last, m.start())), out);
                    }
                    if (m.end() > m.start()) {
                        word(toByteLevel(m.group()), out);
                    }
                    last = m.end();
                }
                if (last < text.length()) {
                    word(toByteLevel(text.substring(last)), out);
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String toByteLevel(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /** BPE over one word. */
    private void word(String word, List<Integer> out) {
        if (ignoreMerges) {
            Integer whole = ids.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        List<String> symbols = new ArrayList<>();
        for (int i = 0; i < word.length(); ) {
            int n = Character.charCount(word.codePointAt(i));
            symbols.add(word.substring(i, i + n));
            i += n;
        }
        while (symbols.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = ranks.get(symbols.get(i) + PAIR + symbols.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            symbols.set(best, symbols.get(best) + symbols.get(best + 1));
            symbols.remove(best + 1);
        }
        for (String s : symbols) {
            Integer id = ids.get(s);
            if (id != null) {
                out.add(id);
            } else if (mode == Mode.SENTENCEPIECE && byteTokens[0] >= 0) {
                for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                    out.add(byteTokens[b & 0xFF] >= 0 ? byteTokens[b & 0xFF] : unk);
                }
            } else if (unk >= 0) {
                out.add(unk);
            }
        }
    }

    /** The special (control and added special) tokens, by text. */
    @Override
    public SpecialTokens specialTokens() {
        return specialTokens;
    }
}
