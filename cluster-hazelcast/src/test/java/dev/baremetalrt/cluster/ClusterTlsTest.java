package dev.baremetalrt.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.backend.cpu.CpuBackendProvider;
import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.conformance.StoriesReference;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.InferenceEngine;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.model.Models;
import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BrtException;
import dev.baremetalrt.spi.ShardPlan;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Event-bus TLS with client certificates: two nodes holding certificates of one cluster CA split
 * stories260K and give the reference ids; a member without a certificate (plaintext event bus) that joins
 * the same Hazelcast cluster is refused a shard as unreachable; bad TLS folders are clear errors.
 */
class ClusterTlsTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final List<AutoCloseable> open = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    @Test
    void nodesOfOneCaSplitTheModelAndAMemberWithoutACertificateIsRefused() throws Exception {
        List<Path> folders = ClusterCertificates.init(dir.resolve("ca"), "test", List.of("alpha", "beta"));
        ClusterTls alphaTls = ClusterTls.load(folders.get(0));
        ClusterTls betaTls = ClusterTls.load(folders.get(1));
        assertEquals("alpha", alphaTls.nodeName());
        assertEquals(alphaTls.caFingerprint(), betaTls.caFingerprint());

        Path stories = SharedModels.file("stories260K/stories260K.gguf");
        int[] ports = LoopbackPorts.free(3);
        List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1], "127.0.0.1:" + ports[2]);
        String name = "brt-tls-" + ProcessHandle.current().pid();
        ClusterNode alpha = join(new ClusterOptions(name, "127.0.0.1", ports[0], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)).withTls(alphaTls));
        ClusterNode beta = join(new ClusterOptions(name, "127.0.0.1", ports[1], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)).withTls(betaTls));
        assertTrue(alpha.tls() && alpha.clusterName().startsWith(name + "-"), "the cluster name carries the CA: " + alpha.clusterName());
        // a member with no certificate that knows the cluster's name: Hazelcast lets it in, the event bus does not
        ClusterNode plain = join(new ClusterOptions(alpha.clusterName(), "127.0.0.1", ports[2], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
        assertEquals(3, alpha.members().size());
        for (ClusterNode node : List.of(alpha, beta, plain)) {
            open.add(new NodeAgent(node, new CpuBackendProvider(), BackendOptions.withThreads(1), 1L << 30, List.of(stories), 512, java.util.Map.of()));
        }

        // the plan may come a tick before the plain member's ping fails; wait for the refusal
        JsonObject published = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String json = ClusterPlans.describe(alpha, "stories260K");
            published = json == null ? null : new JsonObject(json);
            if (published != null && published.containsKey("refused") && published.getJsonObject("refused").containsKey(plain.nodeId())) {
                break;
            }
            Thread.sleep(100);
        }
        String why = published.getJsonObject("refused").getString(plain.nodeId());
        assertTrue(why != null && why.contains("cannot be reached over the cluster's event bus"), "refused as unreachable: " + published.encodePrettily());
        ShardPlan plan = ClusterPlans.awaitReady(alpha, "stories260K", WAIT);
        assertEquals(List.of(alpha.nodeId(), beta.nodeId()), plan.stages().stream().map(ShardPlan.Stage::node).toList(), plan.describe());
        try (var model = Models.open(stories)) {
            InferenceEngine engine = new InferenceEngine(new Pipeline(plan, new EventBusTransport(alpha.vertx(), Duration.ofSeconds(20), WireFormat.F32),
                    Duration.ofSeconds(30)), model.tokenizer(), 512, 512);
            int[] ids = engine.generate(new GenerationRequest(new int[] {1}, 200, SamplingParams.greedy()), TokenSink.discard()).tokens();
            assertArrayEquals(StoriesReference.load().sequence(201), ids, "activations crossed TLS between alpha and beta");
        }
    }

    @Test
    void badTlsFoldersAreClearErrors() throws Exception {
        List<Path> ours = ClusterCertificates.init(dir.resolve("ours"), "ours", List.of("n1"));
        List<Path> theirs = ClusterCertificates.init(dir.resolve("theirs"), "theirs", List.of("n1"));
        assertNotEquals(ClusterTls.load(ours.getFirst()).caFingerprint(), ClusterTls.load(theirs.getFirst()).caFingerprint());

        Path mixed = Files.createDirectories(dir.resolve("mixed"));
        Files.copy(theirs.getFirst().resolve("node.p12"), mixed.resolve("node.p12"));
        Files.copy(ours.getFirst().resolve("trust.p12"), mixed.resolve("trust.p12"));
        Files.copy(ours.getFirst().resolve("password"), mixed.resolve("password")); // wrong for their node.p12
        assertTrue(message(mixed).contains("node.p12 cannot be opened with the password"), message(mixed));

        // our CA in a trust store under their password: everything opens, but their node was not issued by our CA
        String ourPassword = Files.readString(ours.getFirst().resolve("password")).trim();
        String theirPassword = Files.readString(theirs.getFirst().resolve("password")).trim();
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(ours.getFirst().resolve("trust.p12"))) {
            trust.load(in, ourPassword.toCharArray());
        }
        try (var out = Files.newOutputStream(mixed.resolve("trust.p12"))) {
            trust.store(out, theirPassword.toCharArray());
        }
        Files.writeString(mixed.resolve("password"), theirPassword);
        assertTrue(message(mixed).contains("was not issued by the CA in trust.p12"), message(mixed));

        Files.delete(mixed.resolve("trust.p12"));
        assertTrue(message(mixed).contains("trust.p12 is missing"), message(mixed));
        assertTrue(assertThrows(BrtException.class, () -> ClusterCertificates.init(dir.resolve("ours"), "again", List.of())).getMessage().contains("already holds"));
        assertTrue(assertThrows(BrtException.class, () -> ClusterCertificates.addNode(dir.resolve("ours"), "n1")).getMessage().contains("already has"));
        assertTrue(assertThrows(BrtException.class, () -> ClusterCertificates.addNode(dir.resolve("ours"), "../evil")).getMessage().contains("must be"));
    }

    private static String message(Path folder) {
        return assertThrows(BrtException.class, () -> ClusterTls.load(folder)).getMessage();
    }

    private ClusterNode join(ClusterOptions options) {
        ClusterNode node = ClusterNode.join(options);
        open.add(node);
        return node;
    }
}
