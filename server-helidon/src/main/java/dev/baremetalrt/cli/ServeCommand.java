package dev.baremetalrt.cli;

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
                "Options also come from environment variables: BRT_PORT, BRT_HOST, BRT_API_KEY, BRT_API_KEY_FILE."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model to serve: a GGUF file or a Hugging Face directory (repeatable).")
    List<Path> models;

    @Option(names = "--port", description = "TCP port, 0 = any free one (default: ${DEFAULT-VALUE}).", defaultValue = "${env:BRT_PORT:-8080}")
    int port;

    @Option(names = "--host", description = "Interface to bind (default: 127.0.0.1; anything else without an API key is allowed with a warning).",
            defaultValue = "${env:BRT_HOST}")
    String host;

    @Option(names = "--api-key", description = "Require this bearer key (repeatable).", defaultValue = "${env:BRT_API_KEY}")
    List<String> apiKeys = new ArrayList<>();

    @Option(names = "--api-key-file", description = "Read keys from this file, one per line.", defaultValue = "${env:BRT_API_KEY_FILE}")
    Path apiKeyFile;

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

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        List<String> keys = new ArrayList<>(apiKeys.stream().filter(k -> k != null && !k.isBlank()).toList());
        if (apiKeyFile != null) {
            for (String line : Files.readAllLines(apiKeyFile)) {
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
        try (BrtServer server = BrtServer.start(config, models.size())) {
            String url = "http://%s:%d/".formatted(bind.contains(":") ? "[" + bind + "]" : bind, server.port());
            err.printf("listening on %s (loading %d model(s))%n", url, models.size());
            for (Path path : models) {
                Model model = ModelOptions.open(path);
                long start = System.nanoTime();
                ServedModel served = ServedModel.load(model, modelOptions.provider(), BackendOptions.withThreads(modelOptions.threads),
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
