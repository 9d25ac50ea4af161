package dev.baremetalrt.server;

/** Reads the Prometheus text that {@code GET /metrics} returns. */
final class MetricsText {
    private MetricsText() {}

    /** Sum of a metric's samples over all its labels; 0 when it has none. */
    static long sum(String text, String name) {
        return text.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
