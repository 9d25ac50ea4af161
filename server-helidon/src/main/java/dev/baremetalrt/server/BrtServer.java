package dev.baremetalrt.server;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.json.JsonWriter;
import dev.baremetalrt.core.tokenizer.Tokenizer;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP server: OpenAI-compatible {@code /v1} endpoints, llama-server style {@code /tokenize} and
 * {@code /detokenize}, {@code /health}, Prometheus {@code /metrics} and the chat page at {@code /}.
 * Models are added with {@link #add} once loaded; {@code /health} says 503 until {@code expectedModels}
 * are there.
 */
public final class BrtServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BrtServer.class.getName());

    private volatile java.util.function.Supplier<String> clusterStatus;
    private final ServerConfig config;
    private final Map<String, ServedModel> models = new ConcurrentHashMap<>();
    private final ServerMetrics metrics = new ServerMetrics();
    private final Completions completions = new Completions(models, metrics);
    private final List<byte[]> keyDigests;
    private final int expectedModels;
    private final WebServerConfig serverConfig;
    private final WebServer server;

    private BrtServer(ServerConfig config, int expectedModels) {
        this.config = requireNonNull(config, "config is null");
        this.expectedModels = expectedModels;
        this.keyDigests = config.apiKeys().stream().map(BrtServer::sha256).toList();
        this.serverConfig = WebServer.builder()
                .host(config.host())
                .port(config.port())
                // Streams write one small event per token: with Nagle's algorithm on (Helidon's default) each write
                // waited for the client's delayed ACK of the one before, up to 40 ms, and the first token came late.
                .connectionOptions(socket -> socket.tcpNoDelay(true))
                .shutdownHook(false)
                .routing(this::routing)
                .buildPrototype();
        this.server = WebServer.create(serverConfig).start();
    }

    /** Whether accepted connections have Nagle's algorithm off (checked by tests: a token's event must leave at once). */
    boolean tcpNoDelay() {
        return serverConfig.connectionOptions().tcpNoDelay();
    }

    /** Starts listening; models follow with {@link #add}. */
    public static BrtServer start(ServerConfig config, int expectedModels) {
        return new BrtServer(config, expectedModels);
    }

    /** Serves a loaded model under its id. */
    public void add(ServedModel model) {
        if (models.putIfAbsent(model.id(), model) != null) {
            throw new IllegalArgumentException("a model with id '%s' is already served; give the models different file or directory names".formatted(model.id()));
        }
    }

    public int port() {
        return server.port();
    }

    /** Makes {@code GET /v1/cluster} answer with {@code statusJson} (this server runs on a cluster member). */
    public void cluster(java.util.function.Supplier<String> statusJson) {
        this.clusterStatus = statusJson;
    }

    public boolean ready() {
        return models.size() >= expectedModels;
    }

    private void routing(HttpRouting.Builder r) {
        r.addFilter(this::filter);
        r.get("/", (req, res) -> page(res));
        r.get("/health", (req, res) -> handle("health", res, () -> health(res)));
        r.get("/metrics", (req, res) -> handle("metrics", res, () -> {
            res.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            res.send(metrics.render(models.values(), m -> m.scheduler().queued(), m -> m.scheduler().running()));
        }));
        r.get("/v1/models", (req, res) -> handle("models", res, () -> json(res, Map.of("object", "list", "data", models.values().stream().map(this::modelJson).toList()))));
        r.get("/v1/models/{id}", (req, res) -> handle("models", res, () -> {
            String id = req.path().pathParameters().get("id");
            ServedModel m = models.get(id);
            if (m == null) {
                throw new ApiError(404, "invalid_request_error", "The model '%s' does not exist".formatted(id), "model", "model_not_found");
            }
            json(res, modelJson(m));
        }));
        r.get("/v1/cluster", (req, res) -> handle("cluster", res, () -> {
            java.util.function.Supplier<String> status = clusterStatus;
            if (status == null) {
                throw new ApiError(404, "invalid_request_error", "this server is not part of a cluster (start it with 'brt serve --cluster')", null, "not_clustered");
            }
            res.header("Content-Type", "application/json");
            res.send(status.get());
        }));
        r.post("/v1/chat/completions", (req, res) -> handle("chat_completions", res, () -> completions.chat(body(req), res)));
        r.post("/v1/completions", (req, res) -> handle("completions", res, () -> completions.completion(body(req), res)));
        r.post("/tokenize", (req, res) -> handle("tokenize", res, () -> tokenize(body(req), res)));
        r.post("/detokenize", (req, res) -> handle("detokenize", res, () -> detokenize(body(req), res)));
        r.any((req, res) -> handle("unknown", res, () -> {
            throw new ApiError(404, "invalid_request_error", "Unknown request URL: %s %s".formatted(req.prologue().method().text(), req.path().path()), null, "unknown_url");
        }));
    }

    /** CORS for configured origins, then the API key for everything but the page, health and preflight. */
    private void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String origin = req.headers().first(HeaderNames.ORIGIN).orElse(null);
        boolean allowedOrigin = origin != null && config.corsOrigins().contains(origin);
        if (allowedOrigin) {
            res.header("Access-Control-Allow-Origin", origin);
            res.header("Vary", "Origin");
        }
        String path = req.path().path();
        if (req.prologue().method().text().equals("OPTIONS")) {
            if (allowedOrigin) {
                res.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
                res.header("Access-Control-Allow-Headers", "Authorization, Content-Type");
                res.header("Access-Control-Max-Age", "600");
            }
            res.status(allowedOrigin ? 204 : 403).send();
            return;
        }
        boolean open = path.equals("/") || path.equals("/health");
        if (!open && !keyDigests.isEmpty() && !authorized(req.headers().first(HeaderNames.AUTHORIZATION).orElse(null))) {
            ApiError e = new ApiError(401, "invalid_request_error", "Incorrect or missing API key: send it as 'Authorization: Bearer KEY'", null, "invalid_api_key");
            error(res, e);
            metrics.request("auth", 401);
            return;
        }
        chain.proceed();
    }

    /** Compares digests of every configured key, so the time taken says nothing about any of them. */
    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = sha256(header.substring(7).strip());
        boolean ok = false;
        for (byte[] key : keyDigests) {
            ok |= MessageDigest.isEqual(given, key);
        }
        return ok;
    }

    private void handle(String endpoint, ServerResponse res, Runnable work) {
        int status = 200;
        try {
            work.run();
        } catch (ApiError e) {
            status = e.status();
            error(res, e);
        } catch (UncheckedIOException e) {
            status = 499; // client went away while we wrote
        } catch (RuntimeException e) {
            status = 500;
            LOG.log(Level.WARNING, "%s: unexpected failure".formatted(endpoint), e);
            error(res, new ApiError(500, "server_error", "internal error: " + e.getMessage(), null, null));
        }
        metrics.request(endpoint, status);
    }

    private void error(ServerResponse res, ApiError e) {
        metrics.error(e.type());
        if (res.isSent()) {
            return;
        }
        if (e.retryAfterSeconds() > 0) {
            res.header("Retry-After", String.valueOf(e.retryAfterSeconds()));
        }
        res.status(e.status());
        res.header("Content-Type", "application/json");
        res.send(e.json());
    }

    private RequestBody body(ServerRequest req) {
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > config.maxBodyBytes()) {
            throw tooLarge();
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes(config.maxBodyBytes() + 1);
            if (bytes.length > config.maxBodyBytes()) {
                throw tooLarge();
            }
            return RequestBody.parse(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ApiError tooLarge() {
        return new ApiError(413, "invalid_request_error", "the request body is larger than %d bytes".formatted(config.maxBodyBytes()), null, "request_too_large");
    }

    private Map<String, Object> modelJson(ServedModel m) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("id", m.id());
        j.put("object", "model");
        j.put("created", m.created());
        j.put("owned_by", "baremetalrt");
        j.put("context_length", m.contextCapacity());
        j.put("summary", m.model().config().summary());
        return j;
    }

    private void health(ServerResponse res) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("status", ready() ? "ok" : "loading");
        j.put("models", List.copyOf(models.keySet()));
        res.status(ready() ? 200 : 503);
        json(res, j);
    }

    private void tokenize(RequestBody body, ServerResponse res) {
        Tokenizer tokenizer = completions.model(body).model().tokenizer();
        String content = body.requiredString("content");
        boolean addSpecial = body.optBoolean("add_special").orElse(false);
        boolean parseSpecial = body.optBoolean("parse_special").orElse(false);
        int[] ids = tokenizer.encode(content, addSpecial && tokenizer.addBosByDefault(), parseSpecial);
        List<Integer> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            tokens.add(id);
        }
        json(res, Map.of("tokens", tokens, "count", ids.length));
    }

    private void detokenize(RequestBody body, ServerResponse res) {
        Tokenizer tokenizer = completions.model(body).model().tokenizer();
        if (!(body.raw("tokens") instanceof List<?> list) || list.stream().anyMatch(t -> !(t instanceof Long id) || id < 0 || id >= tokenizer.vocabSize())) {
            throw ApiError.invalid("tokens", "'tokens' must be a list of token ids in [0, %d)".formatted(tokenizer.vocabSize()));
        }
        int[] ids = list.stream().mapToInt(t -> ((Long) t).intValue()).toArray();
        json(res, Map.of("content", tokenizer.decode(ids)));
    }

    private static void json(ServerResponse res, Object value) {
        res.header("Content-Type", "application/json");
        res.send(JsonWriter.write(value, 0));
    }

    private static void page(ServerResponse res) {
        try (InputStream in = BrtServer.class.getResourceAsStream("/web/index.html")) {
            if (in == null) {
                throw new IllegalStateException("the chat page is missing from the jar (/web/index.html)");
            }
            res.header("Content-Type", "text/html; charset=utf-8");
            res.header("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'");
            res.send(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops listening, then closes every model (their schedulers fail what is still running). */
    @Override
    public void close() {
        server.stop();
        models.values().forEach(ServedModel::close);
        models.clear();
    }
}
