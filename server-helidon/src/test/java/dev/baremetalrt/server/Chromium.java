package dev.baremetalrt.server;

import dev.baremetalrt.core.json.Json;
import dev.baremetalrt.core.json.JsonWriter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Headless Chromium driven over the Chrome DevTools Protocol, with the JDK's own WebSocket client: no
 * driver binary and no download, so it works offline with Debian's {@code chromium} package. Input goes
 * through CDP's {@code Input} domain, i.e. real key and mouse events, not JavaScript {@code click()}.
 */
final class Chromium implements AutoCloseable {
    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<Map<String, Object>>> pending = new ConcurrentHashMap<>();

    private Chromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** The browser binary on PATH, if any. */
    static Optional<Path> find() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    static Chromium launch(Path binary, int width, int height) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("brt-chromium");
        Process process = new ProcessBuilder(binary.toString(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-dev-shm-usage", "--remote-debugging-port=0", "--user-data-dir=" + profile,
                "--window-size=%d,%d".formatted(width, height), "about:blank")
                .redirectErrorStream(true).start();
        String browserUrl = null;
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; browserUrl == null && (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            if (line.startsWith("DevTools listening on ")) {
                browserUrl = line.substring("DevTools listening on ".length()).strip();
            }
        }
        if (browserUrl == null) {
            process.destroyForcibly();
            throw new IOException("chromium exited without a DevTools endpoint:\n" + seen);
        }
        Thread.ofVirtual().start(() -> out.lines().forEach(l -> { })); // keep draining its log
        URI ws = URI.create(browserUrl);
        HttpClient http = HttpClient.newHttpClient();
        String targets = http.send(HttpRequest.newBuilder(URI.create("http://%s:%d/json/list".formatted(ws.getHost(), ws.getPort()))).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        String pageUrl = ((List<?>) Json.parse(targets)).stream().map(t -> (Map<?, ?>) t).filter(t -> "page".equals(t.get("type")))
                .map(t -> (String) t.get("webSocketDebuggerUrl")).findFirst().orElseThrow(() -> new IOException("no page target: " + targets));
        Listener listener = new Listener();
        WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(pageUrl), listener).join();
        Chromium chromium = new Chromium(process, profile, socket);
        listener.owner = chromium;
        return chromium;
    }

    /** Sends a CDP command and waits for its result. */
    Map<String, Object> send(String method, Map<String, Object> params) {
        int id = ids.incrementAndGet();
        CompletableFuture<Map<String, Object>> reply = new CompletableFuture<>();
        pending.put(id, reply);
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("id", id);
        message.put("method", method);
        message.put("params", params);
        socket.sendText(JsonWriter.write(message, 0), true).join();
        Map<String, Object> response = reply.orTimeout(30, TimeUnit.SECONDS).join();
        if (response.get("error") != null) {
            throw new IllegalStateException(method + " failed: " + response.get("error"));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) response.getOrDefault("result", Map.of());
        return result;
    }

    void navigate(String url) {
        send("Page.navigate", Map.of("url", url));
    }

    /** Evaluates a JavaScript expression in the page and returns its value (JSON types). */
    Object eval(String expression) {
        Map<String, Object> result = send("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
        if (result.get("exceptionDetails") != null) {
            throw new IllegalStateException("page script failed: " + expression + ": " + result.get("exceptionDetails"));
        }
        return ((Map<?, ?>) result.get("result")).get("value");
    }

    /** Polls {@code condition} (a JavaScript boolean expression) until it holds. */
    void waitFor(String condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Boolean.TRUE.equals(eval(condition))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + condition);
            }
            Thread.sleep(50);
        }
    }

    /** Types text into the focused element, as an input method would. */
    void type(String text) {
        send("Input.insertText", Map.of("text", text));
    }

    void pressEnter() {
        for (String type : List.of("keyDown", "keyUp")) {
            Map<String, Object> key = new LinkedHashMap<>(Map.of("type", type, "key", "Enter", "code", "Enter", "windowsVirtualKeyCode", 13));
            if (type.equals("keyDown")) {
                key.put("text", "\r");
            }
            send("Input.dispatchKeyEvent", key);
        }
    }

    /** A left click in the middle of the element with this id. */
    void click(String elementId) {
        @SuppressWarnings("unchecked")
        Map<String, Object> box = (Map<String, Object>) eval(
                "(() => { const r = document.getElementById('%s').getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
                        .formatted(elementId));
        for (String type : List.of("mousePressed", "mouseReleased")) {
            send("Input.dispatchMouseEvent", Map.of("type", type, "x", box.get("x"), "y", box.get("y"), "button", "left", "clickCount", 1));
        }
    }

    void screenshot(Path file) throws IOException {
        String png = (String) send("Page.captureScreenshot", Map.of("format", "png")).get("data");
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(png));
    }

    @Override
    public void close() throws IOException {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        } finally {
            // Chromium's helper processes (renderer, network service) outlive the browser process for a moment
            // and keep writing into the profile: stop them too before deleting it.
            java.util.List<ProcessHandle> helpers = process.descendants().toList();
            process.destroy();
            helpers.forEach(ProcessHandle::destroy);
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
                for (ProcessHandle h : helpers) {
                    h.onExit().get(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                helpers.forEach(ProcessHandle::destroyForcibly);
            }
            deleteProfile();
        }
    }

    /** Deletes the temporary profile; a file that vanishes meanwhile is not an error. */
    private void deleteProfile() throws IOException {
        for (int attempt = 0; ; attempt++) {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                return;
            } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
                if (attempt == 2) {
                    System.err.println("could not delete the Chromium profile " + profile + ": " + e.getMessage());
                    return;
                }
            }
        }
    }

    /** Reassembles text frames and completes the command whose id a reply carries; events are ignored. */
    private static final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();
        private volatile Chromium owner;

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                Map<String, Object> message = Json.parseObject(text, "CDP message");
                if (message.get("id") instanceof Number id && owner != null) {
                    CompletableFuture<Map<String, Object>> reply = owner.pending.remove(id.intValue());
                    if (reply != null) {
                        reply.complete(message);
                    }
                }
            }
            webSocket.request(1);
            return null;
        }
    }
}
