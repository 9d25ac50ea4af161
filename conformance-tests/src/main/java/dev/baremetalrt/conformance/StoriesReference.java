package dev.baremetalrt.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Expected values for stories260K read from ../shared/models/REFERENCE.md (never copied into the project). */
public final class StoriesReference {
    /** Top-5 and first four logits at one prompt position. */
    public record Logits(int position, int[] topIds, double[] topValues, double[] first4) {}

    private final List<String> lines;

    private StoriesReference(List<String> lines) {
        this.lines = lines;
    }

    public static StoriesReference load() {
        try {
            return new StoriesReference(Files.readAllLines(SharedModels.file("REFERENCE.md")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The id line after the heading {@code SEQ_IDS (N ids}. */
    public int[] sequence(int count) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("SEQ_IDS (" + count + " ids")) {
                int[] ids = Arrays.stream(lines.get(i + 1).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
                if (ids.length != count) {
                    throw new IllegalStateException("REFERENCE.md: expected %d ids, found %d".formatted(count, ids.length));
                }
                return ids;
            }
        }
        throw new IllegalStateException("REFERENCE.md has no SEQ_IDS (" + count + " ids) section");
    }

    public Logits logits(int position) {
        Pattern p = Pattern.compile("- position " + position + ": top5 (.*); logits\\[0:4] = (.*)");
        for (String line : lines) {
            Matcher m = p.matcher(line.trim());
            if (m.matches()) {
                String[] top = m.group(1).trim().split("\\s+");
                int[] ids = new int[top.length];
                double[] values = new double[top.length];
                for (int i = 0; i < top.length; i++) {
                    ids[i] = Integer.parseInt(top[i].split(":")[0]);
                    values[i] = Double.parseDouble(top[i].split(":")[1]);
                }
                double[] first = Arrays.stream(m.group(2).trim().split("\\s+")).mapToDouble(Double::parseDouble).toArray();
                return new Logits(position, ids, values, first);
            }
        }
        throw new IllegalStateException("REFERENCE.md has no logits for position " + position);
    }
}
