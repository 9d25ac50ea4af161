package dev.baremetalrt.core.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The special tokens a prompt may spell out literally ({@code <|eot_id|>}, {@code </s>}, ...), and the
 * splitting of a text into plain fragments and those tokens: longest match first, leftmost first. This is
 * how a rendered chat template becomes ids. Immutable.
 */
public final class SpecialTokens {
    public static final SpecialTokens NONE = new SpecialTokens(Map.of());

    private final Map<String, Integer> ids;
    /** Candidates by first character, longest first. */
    private final Map<Character, List<String>> byFirstChar = new HashMap<>();

    public SpecialTokens(Map<String, Integer> idsByText) {
        this.ids = Map.copyOf(idsByText);
        for (String text : ids.keySet()) {
            if (!text.isEmpty()) {
                byFirstChar.computeIfAbsent(text.charAt(0), c -> new ArrayList<>()).add(text);
            }
        }
        byFirstChar.values().forEach(l -> l.sort(Comparator.comparingInt(String::length).reversed()));
    }

    /** Special tokens of a vocabulary: ids whose flag is set, by their text. */
    static SpecialTokens of(String[] tokens, java.util.function.IntPredicate isSpecial) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] != null && !tokens[i].isEmpty() && isSpecial.test(i)) {
                ids.putIfAbsent(tokens[i], i);
            }
        }
        return new SpecialTokens(ids);
    }

    public boolean isEmpty() {
        return ids.isEmpty();
    }

    /** A piece of a split text: either plain {@code text} (token -1) or one special {@code token}. */
    public record Fragment(String text, int token) {
        public boolean isSpecial() {
            return token >= 0;
        }
    }

    /** Splits {@code text} into plain fragments and special tokens, in order. */
    public List<Fragment> split(String text) {
        List<Fragment> out = new ArrayList<>();
        int plainStart = 0;
        int i = 0;
        while (i < text.length()) {
            String match = matchAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            if (i > plainStart) {
                out.add(new Fragment(text.substring(plainStart, i), -1));
            }
            out.add(new Fragment(match, ids.get(match)));
            i += match.length();
            plainStart = i;
        }
        if (plainStart < text.length()) {
            out.add(new Fragment(text.substring(plainStart), -1));
        }
        return out;
    }

    private String matchAt(String text, int i) {
        List<String> candidates = byFirstChar.get(text.charAt(i));
        if (candidates != null) {
            for (String c : candidates) {
                if (text.startsWith(c, i)) {
                    return c;
                }
            }
        }
        return null;
    }
}
