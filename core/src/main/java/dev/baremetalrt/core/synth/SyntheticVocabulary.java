package dev.baremetalrt.core.synth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A made-up SentencePiece vocabulary: {@code <unk>}, {@code <s>}, {@code </s>}, the 256 byte tokens,
 * single letters and punctuation, then syllables and syllable pairs with and without the U+2581 word
 * prefix, until the requested size. Random weights over it print pronounceable nonsense.
 */
final class SyntheticVocabulary {
    static final int MIN_SIZE = 3 + 256 + 1;
    private static final String[] CONSONANTS = {"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y", "z", "th", "sh", "ch", "st", "tr"};
    private static final String[] VOWELS = {"a", "e", "i", "o", "u", "ai", "ea", "ou"};

    final String[] tokens;
    final float[] scores;
    final int[] types;

    SyntheticVocabulary(int size) {
        Set<String> pieces = new LinkedHashSet<>();
        for (String p : List.of("\u2581", ".", ",", "!", "?", "\u2581the", "\u2581a", "\u2581and", "\u2581to", "\u2581of")) {
            pieces.add(p);
        }
        for (char c = 'a'; c <= 'z'; c++) {
            pieces.add(String.valueOf(c));
            pieces.add("\u2581" + c);
        }
        List<String> syllables = new ArrayList<>();
        for (String c : CONSONANTS) {
            for (String v : VOWELS) {
                syllables.add(c + v);
            }
        }
        for (String s : syllables) {
            pieces.add("\u2581" + s);
            pieces.add(s);
        }
        outer:
        for (String a : syllables) {
            for (String b : syllables) {
                if (pieces.size() >= size) {
                    break outer;
                }
                pieces.add("\u2581" + a + b);
                pieces.add(a + b);
            }
        }
        tokens = new String[size];
        scores = new float[size];
        types = new int[size];
        tokens[0] = "<unk>";
        types[0] = 2;
        tokens[1] = "<s>";
        types[1] = 3;
        tokens[2] = "</s>";
        types[2] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = "<0x%02X>".formatted(b);
            types[3 + b] = 6;
        }
        int i = 259;
        for (String p : pieces) {
            if (i >= size) {
                break;
            }
            tokens[i] = p;
            scores[i] = -(i - 259);
            types[i] = 1;
            i++;
        }
        for (; i < size; i++) { // only for vocabularies larger than all combinations
            tokens[i] = "<extra_" + i + ">";
            types[i] = 5;
        }
    }
}
