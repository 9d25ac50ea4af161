package dev.baremetalrt.core.sampling;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that could be the beginning of a stop string is held back
 * until it is clear either way, so a client never sees part of a stop string.
 */
public final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** Adds text; returns what can be released now. After a stop string, {@link #stopped()} is true. */
    public String accept(String text) {
        if (stopped) {
            return "";
        }
        if (stops.isEmpty()) {
            return text;
        }
        pending.append(text);
        int earliest = -1;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at >= 0 && (earliest < 0 || at < earliest)) {
                earliest = at;
            }
        }
        if (earliest >= 0) {
            stopped = true;
            String out = pending.substring(0, earliest);
            pending.setLength(0);
            return out;
        }
        String held = pending.toString();
        int hold = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, held.length()); len > hold; len--) {
                if (held.regionMatches(held.length() - len, s, 0, len)) {
                    hold = len;
                    break;
                }
            }
        }
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** Releases held-back text at the end of generation. */
    public String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    public boolean stopped() {
        return stopped;
    }
}
