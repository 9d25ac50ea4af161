package dev.baremetalrt.cli;

import dev.baremetalrt.cluster.ClusterNode;
import dev.baremetalrt.cluster.ClusterStatus;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.server.BrtServer;
import dev.baremetalrt.server.ServedModel;
import dev.baremetalrt.server.ServerConfig;
import dev.baremetalrt.spi.BackendOptions;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code brt serve}: the OpenAI-compatible HTTP API and chat page. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve models over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models),",
                "with /tokenize, /detokenize, /health, Prometheus /metrics and a chat page at /.",
                "Each option can also come from the environment (BRT_ and its name: BRT_PORT, BRT_API_KEY_FILE, BRT_MODEL=a.gguf,b.gguf, ...)",
                "or from a YAML file (--config / BRT_CONFIG) keyed by option name: the command line wins, then the environment, then the file."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", description = "YAML file of settings keyed by option name (model: [a.gguf], port: 8080, ...).",
            defaultValue = "${env:BRT_CONFIG}")
    Path configFile;

    @Option(names = "--model", description = "Model to serve: a GGUF file or a Hugging Face directory (repeatable).")
    List<String> models = new ArrayList<>();

    @Option(names = "--port", description = "TCP port, 0 = any free one (default: ${DEFAULT-VALUE}).", defaultValue = "8080")
    int port;

    @Option(names = "--host", description = "Interface to bind (default: 127.0.0.1; anything else without an API key is allowed with a warning).")
    String host;

    @Option(names = "--api-key", description = "Require this bearer key (repeatable).")
    List<String> apiKeys = new ArrayList<>();

    @Option(names = "--api-key-file", description = "Read keys from this file, one per line.")
    String apiKeyFile;

    @Option(names = "--cors-origin", description = "Let browsers on this origin call the API (repeatable), e.g. http://localhost:3000.")
    List<String> corsOrigins = new ArrayList<>();

    @Option(names = "--max-running", description = "Generations batched together per model (default: ${DEFAULT-VALUE}).", defaultValue = "8")
    int maxRunning;

    @Option(names = "--max-queued", description = "Requests that may wait for a slot before 429 (default: ${DEFAULT-VALUE}).", defaultValue = "64")
    int maxQueued;

    @Option(names = "--once", hidden = true, description = "Exit once the models are loaded (tests).")
    boolean once;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--cluster", description = "Serve models whose stages run on a cluster (see 'brt node'): join it with the cluster "
            + "options and wait until each model's stages are ready. --model gives the tokenizer and chat template; this process holds no layers.")
    boolean useCluster;

    @picocli.CommandLine.Mixin
    ClusterJoinOptions cluster;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** Fills what the command line left out from the environment and the config file. */
    private void resolveSettings() {
        ServeSettings settings = ServeSettings.of(spec.commandLine().getParseResult(), configFile);
        models = settings.list("model", models);
        port = settings.integer("port", port);
        host = settings.string("host", host);
        apiKeys = settings.list("api-key", apiKeys);
        apiKeyFile = settings.string("api-key-file", apiKeyFile);
        corsOrigins = settings.list("cors-origin", corsOrigins);
        maxRunning = settings.integer("max-running", maxRunning);
        maxQueued = settings.integer("max-queued", maxQueued);
        modelOptions.backend = settings.string("backend", modelOptions.backend);
        modelOptions.stages = settings.integer("stages", modelOptions.stages);
        modelOptions.threads = settings.integer("threads", modelOptions.threads);
        modelOptions.context = settings.integer("ctx", modelOptions.context);
        if (models.isEmpty()) {
            throw new IllegalArgumentException("no model to serve: give --model PATH, BRT_MODEL or 'model:' in the --config file");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
    }

    @Override
    public Integer call() throws Exception {
        resolveSettings();
        PrintWriter err = spec.commandLine().getErr();
        List<String> keys = new ArrayList<>(apiKeys.stream().filter(k -> k != null && !k.isBlank()).toList());
        if (apiKeyFile != null && !apiKeyFile.isBlank()) {
            for (String line : Files.readAllLines(Path.of(apiKeyFile))) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    keys.add(line.strip());
                }
            }
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("--api-key-file " + apiKeyFile + " holds no key");
            }
        }
        String bind = host == null || host.isBlank() ? "127.0.0.1" : host;
        if (keys.isEmpty() && !isLoopback(bind)) {
            err.printf("WARNING: serving on %s without an API key: anyone who can reach this machine can use the models. Give --api-key.%n", bind);
        }
        ServerConfig config = new ServerConfig(bind, port, keys, corsOrigins, ServerConfig.DEFAULT_MAX_BODY_BYTES);
        try (ClusterNode node = useCluster ? ClusterNode.join(cluster.toOptions()) : null;
             BrtServer server = BrtServer.start(config, models.size())) {
            if (node != null) {
                server.cluster(() -> ClusterStatus.snapshot(node).encode());
            }
            String url = "http://%s:%d/".formatted(bind.contains(":") ? "[" + bind + "]" : bind, server.port());
            err.printf("listening on %s (loading %d model(s))%n", url, models.size());
            for (String path : models) {
                Model model = ModelOptions.open(Path.of(path));
                long start = System.nanoTime();
                ServedModel served = node != null
                        ? ServedModel.onPipeline(model, cluster.pipeline(node, model), ClusterJoinOptions.generators(node, model), modelOptions.context, maxRunning, maxQueued, null)
                        : ServedModel.load(model, modelOptions.provider(), BackendOptions.withThreads(modelOptions.threads),
                                modelOptions.stages, modelOptions.context, maxRunning, maxQueued);
                server.add(served);
                err.printf("serving model '%s' (%s, context %d) in %.1f s%n", served.id(), model.config().summary(), served.contextCapacity(),
                        (System.nanoTime() - start) / 1e9);
            }
            err.printf("ready: chat page %s, API %sv1%s%n", url, url, keys.isEmpty() ? "" : " (bearer key required)");
            err.flush();
            if (!once) {
                CountDownLatch forever = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
                forever.await();
            }
        }
        return 0;
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
