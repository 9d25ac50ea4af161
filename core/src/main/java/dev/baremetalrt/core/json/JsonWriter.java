package dev.baremetalrt.core.json;

import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes maps, collections, arrays, strings, numbers, booleans and null as JSON, exactly as Python's
 * {@code json.dumps(value, ensure_ascii=False, indent=indent)} does: that is what a chat template's
 * {@code tojson} produces under transformers, and it is plain valid JSON for files we write.
 * {@code indent} 0 gives one line with {@code ", "} and {@code ": "} separators; more gives newlines with
 * {@code indent} spaces per level and {@code ","} at line ends.
 */
public final class JsonWriter {
    private JsonWriter() {}

    public static String write(Object value, int indent) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, indent, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, int indent, int level) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            sb.append(d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16 ? String.valueOf((long) d) + ".0" : String.valueOf(d));
        } else if (v instanceof Number n) {
            sb.append(n);
        } else if (v instanceof CharSequence s) {
            string(sb, s.toString());
        } else if (v instanceof Map<?, ?> m) {
            container(sb, '{', '}', m.entrySet().iterator(), m.isEmpty(), indent, level, (e, lvl) -> {
                Map.Entry<?, ?> entry = (Map.Entry<?, ?>) e;
                string(sb, String.valueOf(entry.getKey()));
                sb.append(": ");
                write(sb, entry.getValue(), indent, lvl);
            });
        } else if (v instanceof Collection<?> c) {
            container(sb, '[', ']', c.iterator(), c.isEmpty(), indent, level, (e, lvl) -> write(sb, e, indent, lvl));
        } else if (v instanceof Object[] a) {
            write(sb, java.util.Arrays.asList(a), indent, level);
        } else {
            string(sb, v.toString());
        }
    }

    private interface ItemWriter {
        void write(Object item, int level);
    }

    private static void container(StringBuilder sb, char open, char close, Iterator<?> it, boolean empty, int indent, int level, ItemWriter item) {
        sb.append(open);
        if (empty) {
            sb.append(close);
            return;
        }
        boolean first = true;
        while (it.hasNext()) {
            if (!first) {
                sb.append(indent > 0 ? "," : ", ");
            }
            first = false;
            if (indent > 0) {
                sb.append('\n').append(" ".repeat(indent * (level + 1)));
            }
            item.write(it.next(), level + 1);
        }
        if (indent > 0) {
            sb.append('\n').append(" ".repeat(indent * level));
        }
        sb.append(close);
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append("\\u%04x".formatted((int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
