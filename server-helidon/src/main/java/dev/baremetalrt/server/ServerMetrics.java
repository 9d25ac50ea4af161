package dev.baremetalrt.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToIntFunction;

/** Counters and histograms the server exports at {@code GET /metrics} in Prometheus' text format. */
final class ServerMetrics {
    private static final double[] TTFT_BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final LongAdder cancelled = new LongAdder();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder completionTokens = new LongAdder();
    private final LongAdder decodeNanos = new LongAdder();
    private final LongAdder decodedTokens = new LongAdder();
    private final long[] ttftBuckets = new long[TTFT_BUCKETS.length];
    private final AtomicLong ttftCount = new AtomicLong();
    private final LongAdder ttftNanos = new LongAdder();

    void request(String endpoint, int status) {
        requests.computeIfAbsent("endpoint=\"%s\",status=\"%d\"".formatted(endpoint, status), k -> new LongAdder()).increment();
    }

    void error(String type) {
        errors.computeIfAbsent(type, k -> new LongAdder()).increment();
    }

    /** A streaming client went away and its generation was cancelled. */
    void cancelled() {
        cancelled.increment();
    }

    void generation(int prompt, int completion, long prefillNanos, long decodeNanosOfRest) {
        promptTokens.add(prompt);
        completionTokens.add(completion);
        if (completion > 0) {
            double seconds = prefillNanos / 1e9;
            synchronized (ttftBuckets) {
                for (int i = 0; i < TTFT_BUCKETS.length; i++) {
                    if (seconds <= TTFT_BUCKETS[i]) {
                        ttftBuckets[i]++;
                    }
                }
            }
            ttftCount.incrementAndGet();
            ttftNanos.add(prefillNanos);
        }
        if (completion > 1) {
            decodeNanos.add(decodeNanosOfRest);
            decodedTokens.add(completion - 1);
        }
    }

    String render(Iterable<ServedModel> models, ToIntFunction<ServedModel> queued, ToIntFunction<ServedModel> running) {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP brt_requests_total HTTP requests by endpoint and status.\n# TYPE brt_requests_total counter\n");
        new TreeMap<>(requests).forEach((labels, n) -> sb.append("brt_requests_total{").append(labels).append("} ").append(n.sum()).append('\n'));
        sb.append("# HELP brt_errors_total Error responses by OpenAI error type.\n# TYPE brt_errors_total counter\n");
        new TreeMap<>(errors).forEach((type, n) -> sb.append("brt_errors_total{type=\"").append(type).append("\"} ").append(n.sum()).append('\n'));
        sb.append("# HELP brt_cancelled_generations_total Generations cancelled because their client disconnected.\n# TYPE brt_cancelled_generations_total counter\n")
                .append("brt_cancelled_generations_total ").append(cancelled.sum()).append('\n');
        sb.append("# HELP brt_prompt_tokens_total Prompt tokens processed.\n# TYPE brt_prompt_tokens_total counter\n")
                .append("brt_prompt_tokens_total ").append(promptTokens.sum()).append('\n');
        sb.append("# HELP brt_completion_tokens_total Tokens generated.\n# TYPE brt_completion_tokens_total counter\n")
                .append("brt_completion_tokens_total ").append(completionTokens.sum()).append('\n');
        double decodeSeconds = decodeNanos.sum() / 1e9;
        sb.append("# HELP brt_decode_tokens_per_second Mean decode speed per stream over all finished generations.\n# TYPE brt_decode_tokens_per_second gauge\n")
                .append("brt_decode_tokens_per_second ").append(decodeSeconds == 0 ? 0 : decodedTokens.sum() / decodeSeconds).append('\n');
        sb.append("# HELP brt_time_to_first_token_seconds Time from submission to the first generated token.\n# TYPE brt_time_to_first_token_seconds histogram\n");
        synchronized (ttftBuckets) {
            for (int i = 0; i < TTFT_BUCKETS.length; i++) {
                sb.append("brt_time_to_first_token_seconds_bucket{le=\"").append(TTFT_BUCKETS[i]).append("\"} ").append(ttftBuckets[i]).append('\n');
            }
        }
        sb.append("brt_time_to_first_token_seconds_bucket{le=\"+Inf\"} ").append(ttftCount.get()).append('\n')
                .append("brt_time_to_first_token_seconds_sum ").append(ttftNanos.sum() / 1e9).append('\n')
                .append("brt_time_to_first_token_seconds_count ").append(ttftCount.get()).append('\n');
        sb.append("# HELP brt_queue_depth Generations waiting for a slot.\n# TYPE brt_queue_depth gauge\n");
        for (ServedModel m : models) {
            sb.append("brt_queue_depth{model=\"").append(m.id()).append("\"} ").append(queued.applyAsInt(m)).append('\n');
        }
        sb.append("# HELP brt_running_generations Generations holding KV caches.\n# TYPE brt_running_generations gauge\n");
        for (ServedModel m : models) {
            sb.append("brt_running_generations{model=\"").append(m.id()).append("\"} ").append(running.applyAsInt(m)).append('\n');
        }
        sb.append("# HELP brt_kv_cache_bytes Bytes the backends hold for KV caches.\n# TYPE brt_kv_cache_bytes gauge\n");
        for (ServedModel m : models) {
            sb.append("brt_kv_cache_bytes{model=\"").append(m.id()).append("\"} ").append(m.memory().kvCacheBytes()).append('\n');
        }
        sb.append("# HELP brt_scheduler_steps_total Batched forward steps run.\n# TYPE brt_scheduler_steps_total counter\n");
        for (ServedModel m : models) {
            sb.append("brt_scheduler_steps_total{model=\"").append(m.id()).append("\"} ").append(m.scheduler().steps()).append('\n');
        }
        sb.append("# HELP brt_scheduler_step_sessions_total Sessions summed over steps (divided by steps: the mean batch width).\n"
                + "# TYPE brt_scheduler_step_sessions_total counter\n");
        for (ServedModel m : models) {
            sb.append("brt_scheduler_step_sessions_total{model=\"").append(m.id()).append("\"} ").append(m.scheduler().stepSessions()).append('\n');
        }
        sb.append("# HELP brt_scheduler_step_positions_total Token positions summed over steps (decode tokens and prompt chunks).\n"
                + "# TYPE brt_scheduler_step_positions_total counter\n");
        for (ServedModel m : models) {
            sb.append("brt_scheduler_step_positions_total{model=\"").append(m.id()).append("\"} ").append(m.scheduler().stepPositions()).append('\n');
        }
        java.util.Map<String, StringBuilder> engine = new java.util.TreeMap<>(); // whole-model engines' own counters, per name
        for (ServedModel m : models) {
            m.engineStats().forEach((name, value) -> engine.computeIfAbsent(name, n -> new StringBuilder())
                    .append("brt_engine_").append(name).append("{model=\"").append(m.id()).append("\"} ").append(value).append('\n'));
        }
        engine.forEach((name, lines) -> sb.append("# HELP brt_engine_").append(name).append(" A whole-model engine's own counter (TensorRT-LLM iteration statistics).\n# TYPE brt_engine_")
                .append(name).append(" gauge\n").append(lines));
        return sb.toString();
    }
}
