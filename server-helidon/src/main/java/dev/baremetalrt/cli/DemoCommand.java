package dev.baremetalrt.cli;

import dev.baremetalrt.cluster.ClusterNode;
import dev.baremetalrt.cluster.ClusterStatus;
import dev.baremetalrt.cluster.WireFormat;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.server.BrtServer;
import dev.baremetalrt.server.ServedModel;
import dev.baremetalrt.server.ServerConfig;
import dev.baremetalrt.spi.BackendOptions;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code brt demo}: the main job on an embedded default, from a fresh clone. It starts two cluster nodes
 * as separate processes on this machine, which split the demo model between them, serves it on the HTTP
 * API from this process (a cluster member that holds no layers), streams one chat completion through that
 * API, as any OpenAI client would, and keeps serving the chat page until Ctrl-C. {@code --nodes 0} runs
 * the stages in this process instead.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start cluster nodes on this machine (separate processes) that split a model between them, serve it on the",
                "OpenAI-compatible API, stream one chat completion through it and keep serving the chat page until Ctrl-C.",
                "Without --model, generates a small random-weight model once (under BRT_HOME, default ~/.baremetalrt)."})
final class DemoCommand implements Callable<Integer> {
    @Mixin
    SyntheticModelOption modelChoice;

    @Option(names = "--prompt", description = "The sample chat message (default: ${DEFAULT-VALUE}).", defaultValue = "Once upon a time")
    String prompt;

    @Option(names = "--max-tokens", description = "Tokens to generate (default: ${DEFAULT-VALUE}).", defaultValue = "64")
    int maxTokens;

    @Option(names = "--nodes", description = "Cluster nodes to start on this machine, each a separate process holding part of the model; "
            + "0 runs --stages in this process instead (default: ${DEFAULT-VALUE}).", defaultValue = "2")
    int nodes;

    @Option(names = "--stages", description = "In-process stages with --nodes 0 (default: ${DEFAULT-VALUE}).", defaultValue = "2")
    int stages;

    @Option(names = "--backend", description = "Backend id (default: ${DEFAULT-VALUE}).", defaultValue = "cpu")
    String backend;

    @Option(names = "--threads", description = "Worker threads (default: all processors).", defaultValue = "0")
    int threads;

    @Option(names = "--port", description = "Port on 127.0.0.1; when taken, any free one (default: ${DEFAULT-VALUE}).", defaultValue = "${env:BRT_PORT:-8080}")
    int port;

    @Option(names = "--once", description = "Exit after the sample completion instead of serving on.")
    boolean once;

    @Mixin
    GenerateCommand.SamplingOptions sampling;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        boolean synthetic = modelChoice.synthetic();
        Path path = modelChoice.path(err);
        if (nodes < 0) {
            throw new IllegalArgumentException("--nodes must be 0 or more, got " + nodes);
        }
        if (nodes > 0) {
            int cores = Runtime.getRuntime().availableProcessors();
            int perNode = threads > 0 ? threads : Math.max(1, cores / nodes);
            Path logs = dev.baremetalrt.spi.Settings.home().resolve("demo-logs");
            err.printf("starting %d cluster node(s) on this machine (logs in %s)...%n", nodes, logs);
            err.flush();
            try (LocalCluster cluster = LocalCluster.start(path, nodes, perNode, logs);
                 ClusterNode member = ClusterNode.join(cluster.memberOptions());
                 BrtServer server = startServer(err)) {
                Model m = ModelOptions.open(path);
                cluster.awaitPlan(member, m.modelId(), m.config().layerCount(), ClusterJoinOptions.READY_TIMEOUT);
                ServedModel served = ServedModel.onPipeline(m, ClusterJoinOptions.pipeline(member, m, WireFormat.F32), ClusterJoinOptions.generators(member, m), 4096, 8, 64, null);
                server.add(served);
                server.cluster(() -> ClusterStatus.snapshot(member).encode());
                StringBuilder plan = new StringBuilder();
                for (String line : served.planDescription().split("\n")) {
                    plan.append(line);
                    for (String node : member.members()) {
                        if (line.contains(node)) {
                            plan.append("   <- process ").append(cluster.pid(node));
                        }
                    }
                    plan.append('\n');
                }
                return serve(server, served, m, plan.toString().stripTrailing(), synthetic, err);
            }
        }
        ModelOptions options = new ModelOptions();
        options.backend = backend;
        try (BrtServer server = startServer(err)) {
            Model m = ModelOptions.open(path);
            ServedModel served = ServedModel.load(m, options.provider(), BackendOptions.withThreads(threads), stages, 4096, 8, 64);
            server.add(served);
            return serve(server, served, m, served.planDescription(), synthetic, err);
        }
    }

    /** Streams the sample completion, then serves until Ctrl-C (or returns with --once). */
    private int serve(BrtServer server, ServedModel served, Model m, String plan, boolean synthetic, PrintWriter err) throws Exception {
        String url = "http://127.0.0.1:%d/".formatted(server.port());
        err.printf("BareMetalRT demo: %s (%s, %s)%n", m.modelId(), m.config().summary(), m.dominantType());
        err.println(plan);
        err.printf("serving the OpenAI-compatible API at %sv1%n", url);
        if (synthetic) {
            err.println("(random weights: the words are nonsense; run 'brt demo --model FILE.gguf' for a real model)");
        }
        err.printf("%nPOST %sv1/chat/completions  (stream, user: \"%s\")%n%n", url, prompt);
        err.flush();
        PrintWriter out = spec.commandLine().getOut();
        StreamingChatClient.Result result = new StreamingChatClient(url, null).stream(chatRequest(served.id()), piece -> {
            out.print(piece);
            out.flush();
        });
        err.printf("%n%n%d tokens, first after %.0f ms, %.1f tokens/s decoding (finish_reason: %s)%n", result.completionTokens(),
                result.timeToFirstTokenMillis(), result.decodeTokensPerSecond(), result.finishReason());
        if (once) {
            return 0;
        }
        err.printf("%nchat page: %s   API: %sv1   Ctrl-C stops the server%n", url, url);
        err.flush();
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
        forever.await();
        return 0;
    }

    /** Port {@link #port} on loopback, or any free port when that one is taken: a demo should not fail over a port. */
    private BrtServer startServer(PrintWriter err) {
        try {
            return BrtServer.start(new ServerConfig("127.0.0.1", port, List.of(), List.of(), ServerConfig.DEFAULT_MAX_BODY_BYTES), 1);
        } catch (RuntimeException e) {
            if (port == 0 || !(rootCause(e) instanceof BindException)) {
                throw e;
            }
            err.printf("port %d is taken; using a free one%n", port);
            return BrtServer.start(new ServerConfig("127.0.0.1", 0, List.of(), List.of(), ServerConfig.DEFAULT_MAX_BODY_BYTES), 1);
        }
    }

    private static Throwable rootCause(Throwable e) {
        while (e.getCause() != null && e.getCause() != e) {
            e = e.getCause();
        }
        return e;
    }

    private String chatRequest(String modelId) {
        var body = new java.util.LinkedHashMap<String, Object>();
        body.put("model", modelId);
        body.put("messages", List.of(java.util.Map.of("role", "user", "content", prompt)));
        body.put("max_tokens", maxTokens);
        body.put("temperature", sampling.temperature);
        body.put("top_p", sampling.topP);
        body.put("top_k", sampling.topK);
        body.put("min_p", sampling.minP);
        body.put("repetition_penalty", sampling.repeatPenalty);
        if (sampling.seed != null) {
            body.put("seed", sampling.seed);
        }
        if (!sampling.stop.isEmpty()) {
            body.put("stop", sampling.stop);
        }
        body.put("stream", true);
        body.put("stream_options", java.util.Map.of("include_usage", true));
        return dev.baremetalrt.core.json.JsonWriter.write(body, 0);
    }
}
