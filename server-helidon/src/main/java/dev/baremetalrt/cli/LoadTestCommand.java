package dev.baremetalrt.cli;

import dev.baremetalrt.core.json.JsonWriter;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.server.BrtServer;
import dev.baremetalrt.server.ServedModel;
import dev.baremetalrt.server.ServerConfig;
import dev.baremetalrt.spi.BackendOptions;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code brt loadtest}: many concurrent streaming clients against {@code brt serve}'s API on loopback.
 * Every request is greedy, so each answer must equal the reference answer for its prompt, token for
 * token: a lost or duplicated token shows as a mismatch. Also measures what batching buys (aggregate
 * throughput of 8 streams against 1) and checks that KV memory and heap return to where they started.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true,
        description = {"Load-test the OpenAI-compatible server with concurrent streaming chat clients (loopback, bounded in time).",
                "Starts an in-process server on a synthetic model unless --model is given. Exits 1 when a check fails."})
final class LoadTestCommand implements Callable<Integer> {
    private static final List<String> PROMPTS = List.of("Once upon a time", "Tell me about the sea", "Why is the sky blue?", "Write a poem");

    @Mixin
    SyntheticModelOption modelChoice;

    @Option(names = "--clients", description = "Concurrent streaming clients in the main phase (default: ${DEFAULT-VALUE}).", defaultValue = "32")
    int clients;

    @Option(names = "--duration", description = "Seconds of the main phase (default: ${DEFAULT-VALUE}).", defaultValue = "60")
    int duration;

    @Option(names = "--batch-seconds", description = "Seconds of each of the 1-stream and 8-stream phases, split into --batch-rounds alternating rounds after one unmeasured warm-up round; 0 = skip them (default: ${DEFAULT-VALUE}).",
            defaultValue = "15")
    int batchSeconds;

    @Option(names = "--batch-rounds", description = "Alternating rounds the 1-stream and 8-stream phases are split into (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    int batchRounds;

    @Option(names = "--max-tokens", description = "Tokens per request (default: ${DEFAULT-VALUE}).", defaultValue = "64")
    int maxTokens;

    @Option(names = "--threads", description = "Backend worker threads (default: all processors).", defaultValue = "0")
    int threads;

    @Option(names = "--backend", description = "Backend id (default: ${DEFAULT-VALUE}).", defaultValue = "cpu")
    String backend;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /**
     * One phase's outcome.
     *
     * @param decodeRates each request's decode rate: tokens after its first over the time after its first
     */
    private record Phase(int streams, double seconds, int requests, long tokens, List<String> failures, long[] ttftNanos, double[] decodeRates,
            long steps, long sessionsStepped) {
        /** This phase and another of the same streams as one. */
        Phase plus(Phase other) {
            List<String> allFailures = new ArrayList<>(failures);
            allFailures.addAll(other.failures);
            long[] ttft = Arrays.copyOf(ttftNanos, ttftNanos.length + other.ttftNanos.length);
            System.arraycopy(other.ttftNanos, 0, ttft, ttftNanos.length, other.ttftNanos.length);
            double[] rates = Arrays.copyOf(decodeRates, decodeRates.length + other.decodeRates.length);
            System.arraycopy(other.decodeRates, 0, rates, decodeRates.length, other.decodeRates.length);
            return new Phase(streams, seconds + other.seconds, requests + other.requests, tokens + other.tokens, List.copyOf(allFailures), ttft, rates,
                    steps + other.steps, sessionsStepped + other.sessionsStepped);
        }

        /** Mean sessions per forward step: how wide the batches were. */
        double batchWidth() {
            return steps == 0 ? Double.NaN : sessionsStepped / (double) steps;
        }

        double tokensPerSecond() {
            return tokens / seconds;
        }

        /**
         * Decode throughput across the streams: the median request's decode rate times the number of streams.
         * Unlike {@link #tokensPerSecond} it leaves out each request's wait for its first token (its own prompt's
         * prefill), which grows with the streams that queue prompts at once; other streams' prefill steps that
         * slow a request's decoding stay in.
         */
        double decodeTokensPerSecond() {
            if (decodeRates.length == 0) {
                return Double.NaN;
            }
            double[] sorted = decodeRates.clone();
            Arrays.sort(sorted);
            return sorted[sorted.length / 2] * streams;
        }

        double ttftMillis(double quantile) {
            if (ttftNanos.length == 0) {
                return Double.NaN;
            }
            long[] sorted = ttftNanos.clone();
            Arrays.sort(sorted);
            return sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] / 1e6;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (batchRounds < 1 || batchSeconds < 0 || clients < 1 || duration < 1 || maxTokens < 1) {
            throw new IllegalArgumentException(
                    "--batch-rounds, --clients, --duration and --max-tokens must be >= 1, --batch-seconds >= 0");
        }
        Path path = modelChoice.path(spec.commandLine().getErr());
        int slots = Math.max(clients, 8);
        ModelOptions backendOptions = new ModelOptions();
        backendOptions.backend = backend;
        try (BrtServer server = BrtServer.start(new ServerConfig("127.0.0.1", 0, List.of(), List.of(), ServerConfig.DEFAULT_MAX_BODY_BYTES), 1)) {
            Model m = ModelOptions.open(path);
            ServedModel served = ServedModel.load(m, backendOptions.provider(), BackendOptions.withThreads(threads), 1, 512, slots, slots);
            server.add(served);
            String base = "http://127.0.0.1:%d/".formatted(server.port());
            StreamingChatClient client = new StreamingChatClient(base, null);
            out.printf("loadtest: model %s (%s), %d slots, %d tokens per request, server %s%n", served.id(), m.config().summary(), slots, maxTokens, base);

            List<String> references = new ArrayList<>();
            for (String prompt : PROMPTS) {
                references.add(client.stream(request(served.id(), prompt), piece -> { }).text());
            }
            long heapBefore = usedHeapAfterGc();
            long kvBefore = metric(base, "brt_kv_cache_bytes");
            List<String> failed = new ArrayList<>();

            if (batchSeconds > 0) {
                int seconds = Math.max(1, batchSeconds / batchRounds);
                // Warm-up, not counted: one round of each phase as long as a measured one. Two seconds of 8 streams
                // were not enough: with both cores computing, the JIT's compiler threads still had the batched path's
                // kernels queued, and the first measured round of 8 streams came out about a fifth below the later ones.
                failed.addAll(run(client, served, references, 1, seconds).failures());
                failed.addAll(run(client, served, references, 8, seconds).failures());
                // Alternating rounds, pooled: this machine's speed drifts over seconds, and two long phases one after
                // the other would each see a different machine.
                Phase one = null;
                Phase eight = null;
                List<String> perRound = new ArrayList<>();
                for (int r = 0; r < batchRounds; r++) {
                    Phase oneRound = run(client, served, references, 1, seconds);
                    Phase eightRound = run(client, served, references, 8, seconds);
                    perRound.add(String.format(Locale.ROOT, "%.2f (%.1f against %.1f tokens/s)", eightRound.tokensPerSecond() / oneRound.tokensPerSecond(),
                            eightRound.tokensPerSecond(), oneRound.tokensPerSecond()));
                    one = one == null ? oneRound : one.plus(oneRound);
                    eight = eight == null ? eightRound : eight.plus(eightRound);
                }
                report(out, one);
                report(out, eight);
                double ratio = eight.tokensPerSecond() / one.tokensPerSecond();
                out.printf(Locale.ROOT, "batching: %d alternating rounds of 1 and 8 streams; per round 8 streams gave %s%n", batchRounds, String.join(", ", perRound));
                out.printf(Locale.ROOT, "batching: 8 streams give %.2fx the tokens/s of 1 stream (target >= 3); decode alone %.2fx (%.1f against %.1f tokens/s)%n", ratio,
                        eight.decodeTokensPerSecond() / one.decodeTokensPerSecond(), eight.decodeTokensPerSecond(), one.decodeTokensPerSecond());
                failed.addAll(one.failures());
                failed.addAll(eight.failures());
                if (ratio < 3) {
                    failed.add("8-stream throughput is %.2fx one stream's, below 3x".formatted(ratio));
                }
            }
            Phase load = run(client, served, references, clients, duration);
            report(out, load);
            failed.addAll(load.failures());

            waitUntilIdle(base);
            long kvAfter = metric(base, "brt_kv_cache_bytes");
            long heapAfter = usedHeapAfterGc();
            out.printf("memory: KV caches %d -> %d bytes; heap after GC %.1f -> %.1f MiB%n", kvBefore, kvAfter, heapBefore / 1048576.0, heapAfter / 1048576.0);
            if (client.staleConnectionRetries() > 0) {
                out.printf("%d request(s) sent again: their pooled keep-alive connection had been closed before any response byte%n", client.staleConnectionRetries());
            }
            if (kvAfter != kvBefore) {
                failed.add("KV cache bytes did not return to the baseline: %d -> %d".formatted(kvBefore, kvAfter));
            }
            // A little slack for JIT-compiled code's metadata and the HTTP client's pools; a leak per request would be far more.
            if (heapAfter > heapBefore + 32L * 1024 * 1024) {
                failed.add("heap grew by %.1f MiB over the run".formatted((heapAfter - heapBefore) / 1048576.0));
            }
            if (failed.isEmpty()) {
                out.println("loadtest: all checks passed");
                return 0;
            }
            out.printf("loadtest: %d check(s) failed:%n", failed.size());
            failed.stream().limit(20).forEach(f -> out.println("  " + f));
            return 1;
        }
    }

    /** An exception's message and its causes' (the JDK client's "closed" says nothing without them). */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append(" <- ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
        }
        return sb.toString();
    }

    /** {@code streams} clients send requests back to back for {@code seconds}; requests started before the end finish. */
    private Phase run(StreamingChatClient client, ServedModel served, List<String> references, int streams, int seconds) throws InterruptedException {
        String modelId = served.id();
        long stepsBefore = served.scheduler().steps();
        long sessionsBefore = served.scheduler().stepSessions();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> ttft = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Double> decodeRates = new ConcurrentLinkedQueue<>();
        AtomicInteger requests = new AtomicInteger();
        AtomicLong tokens = new AtomicLong();
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < streams; c++) {
            int clientIndex = c;
            threads.add(Thread.ofVirtual().name("loadtest-client-" + c).start(() -> {
                for (int i = 0; System.nanoTime() < end; i++) {
                    int p = (clientIndex + i) % PROMPTS.size();
                    try {
                        StreamingChatClient.Result r = client.stream(request(modelId, PROMPTS.get(p)), piece -> { });
                        requests.incrementAndGet();
                        tokens.addAndGet(r.completionTokens());
                        ttft.add(r.timeToFirstTokenNanos());
                        if (!Double.isNaN(r.decodeTokensPerSecond())) {
                            decodeRates.add(r.decodeTokensPerSecond());
                        }
                        if (!r.text().equals(references.get(p))) {
                            failures.add("client %d request %d: the streamed text differs from the reference for '%s'".formatted(clientIndex, i, PROMPTS.get(p)));
                        }
                    } catch (Exception e) {
                        failures.add("client %d request %d: %s".formatted(clientIndex, i, describe(e)));
                        return;
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        return new Phase(streams, elapsed, requests.get(), tokens.get(), List.copyOf(failures), ttft.stream().mapToLong(Long::longValue).toArray(),
                decodeRates.stream().mapToDouble(Double::doubleValue).toArray(), served.scheduler().steps() - stepsBefore,
                served.scheduler().stepSessions() - sessionsBefore);
    }

    private static void report(PrintWriter out, Phase p) {
        out.printf(Locale.ROOT, "%2d streams: %4d requests in %5.1f s, %7.1f tokens/s aggregate (decode %.1f), time to first token p50 %.0f ms p99 %.0f ms, "
                + "%.1f sessions per step, %d failure(s)%n", p.streams(), p.requests(), p.seconds(), p.tokensPerSecond(), p.decodeTokensPerSecond(),
                p.ttftMillis(0.5), p.ttftMillis(0.99), p.batchWidth(), p.failures().size());
        out.flush();
    }

    private String request(String modelId, String prompt) {
        return JsonWriter.write(Map.of("model", modelId, "messages", List.of(Map.of("role", "user", "content", prompt)), "max_tokens", maxTokens,
                "temperature", 0, "stream", true, "stream_options", Map.of("include_usage", true)), 0);
    }

    private static long metric(String base, String name) throws Exception {
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static void waitUntilIdle(String base) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while ((metric(base, "brt_running_generations") > 0 || metric(base, "brt_queue_depth") > 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
