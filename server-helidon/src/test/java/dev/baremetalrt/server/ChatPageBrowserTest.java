package dev.baremetalrt.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.core.engine.Backends;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.WeightType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat page in headless Chromium: pick up the model list, type a prompt, watch tokens stream in,
 * press Stop, and check that the server saw the stop as a cancelled generation. Saves a screenshot to
 * {@code target/browser/chat-page.png}. Skips, saying so, where no Chromium is installed ({@code .ci/run}
 * installs Debian's package).
 */
class ChatPageBrowserTest {
    @TempDir
    Path dir;

    @Test
    void typeAPromptSeeTokensStreamAndStopThem() throws Exception {
        Path binary = Chromium.find().orElse(null);
        Assumptions.assumeTrue(binary != null, "no chromium on PATH: install Debian's 'chromium' package (.ci/run does) to run the browser test");
        // A synthetic model slow enough (about 100 tokens/s here) that Stop lands mid-stream.
        Path modelFile = dir.resolve("small.gguf");
        SyntheticModelGenerator.write(ModelShape.named("small"), WeightType.Q8_0, 42, modelFile);
        try (BrtServer server = BrtServer.start(new ServerConfig("127.0.0.1", 0, List.of(), List.of(), ServerConfig.DEFAULT_MAX_BODY_BYTES), 1)) {
            server.add(ServedModel.load(LlamaModel.open(modelFile), Backends.find("cpu"), BackendOptions.withThreads(2), 1, 2048, 2, 2));
            String base = "http://127.0.0.1:" + server.port();
            try (Chromium browser = Chromium.launch(binary, 900, 700)) {
                browser.navigate(base + "/");
                browser.waitFor("document.querySelectorAll('#model option').length === 1", Duration.ofSeconds(20));
                assertEquals("small", browser.eval("document.getElementById('model').value"));
                browser.eval("document.getElementById('temperature').value = '0'; document.getElementById('maxTokens').value = '1500'; true");

                browser.eval("document.getElementById('prompt').focus(); true");
                browser.type("Once upon a time");
                browser.pressEnter();
                browser.waitFor("document.querySelector('#log .user') !== null", Duration.ofSeconds(10));
                assertEquals("Once upon a time", browser.eval("document.querySelector('#log .user').textContent"));
                browser.waitFor("document.querySelector('#log .assistant').textContent.length > 20", Duration.ofSeconds(30));
                assertEquals(Boolean.FALSE, browser.eval("document.getElementById('stop').disabled"), "Stop is enabled while streaming");
                long cancelledBefore = metric(base, "brt_cancelled_generations_total");

                browser.click("stop");
                browser.waitFor("!document.getElementById('send').disabled && document.getElementById('stop').disabled", Duration.ofSeconds(10));
                String stopped = (String) browser.eval("document.querySelector('#log .assistant').textContent");
                Thread.sleep(500);
                assertEquals(stopped, browser.eval("document.querySelector('#log .assistant').textContent"), "no text arrives after Stop");
                String stats = (String) browser.eval("document.getElementById('stats').textContent");
                assertTrue(stats.contains("time to first token") && stats.contains("tokens/s") && stats.contains("stopped"), stats);

                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (metric(base, "brt_cancelled_generations_total") == cancelledBefore && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(cancelledBefore + 1, metric(base, "brt_cancelled_generations_total"), "Stop in the page cancels the generation on the server");
                assertEquals(0, metric(base, "brt_running_generations"));
                browser.screenshot(Path.of("target", "browser", "chat-page.png"));

                // A phone's viewport: everything fits its width, no sideways scrolling.
                browser.send("Emulation.setDeviceMetricsOverride", java.util.Map.of("width", 390, "height", 800, "deviceScaleFactor", 2, "mobile", true));
                browser.waitFor("window.innerWidth === 390", Duration.ofSeconds(5));
                assertEquals(Boolean.TRUE, browser.eval("document.documentElement.scrollWidth <= window.innerWidth"),
                        "the page is wider than a phone's screen");
                browser.screenshot(Path.of("target", "browser", "chat-page-phone.png"));
            }
        }
    }

    private static long metric(String base, String name) throws Exception {
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return MetricsText.sum(text, name);
    }
}
