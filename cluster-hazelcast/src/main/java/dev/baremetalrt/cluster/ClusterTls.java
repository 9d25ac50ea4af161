package dev.baremetalrt.cluster;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.BrtException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PfxOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * A node's TLS material for the event bus, from a folder {@link ClusterCertificates} made: every event-bus
 * connection is TLS with client authentication, and a peer must present a certificate from the same
 * cluster CA (the trust store holds only that CA). Step batches, results and session control travel on the
 * event bus, so prompts and activations never cross the wire in plaintext. What Hazelcast itself carries
 * (membership, inventories, plans, readiness, counters: no prompts, no activations) stays plaintext in the
 * open-source edition; the cluster name gets the CA's fingerprint so that nodes of different CAs never
 * form one cluster by accident.
 */
public final class ClusterTls {
    static {
        ClusterLogging.useJul(); // before the first Netty buffer below
    }

    private final Path folder;
    private final Buffer keyStore;
    private final Buffer trustStore;
    private final String password;
    private final String nodeName;
    private final String caFingerprint;

    private ClusterTls(Path folder, Buffer keyStore, Buffer trustStore, String password, String nodeName, String caFingerprint) {
        this.folder = folder;
        this.keyStore = keyStore;
        this.trustStore = trustStore;
        this.password = password;
        this.nodeName = nodeName;
        this.caFingerprint = caFingerprint;
    }

    /** Reads and checks {@code folder}'s node.p12, trust.p12 and password; says which one is wrong. */
    public static ClusterTls load(Path folder) {
        requireNonNull(folder, "folder is null");
        Path node = folder.resolve("node.p12");
        Path trust = folder.resolve("trust.p12");
        Path passwordFile = folder.resolve("password");
        for (Path p : new Path[] {node, trust, passwordFile}) {
            if (!Files.isRegularFile(p)) {
                throw new BrtException("--tls %s: %s is missing (make the folder with 'brt cluster init' or 'brt cluster add-node')".formatted(folder, p.getFileName()));
            }
        }
        try {
            String password = Files.readString(passwordFile, StandardCharsets.UTF_8).trim();
            byte[] nodeBytes = Files.readAllBytes(node);
            byte[] trustBytes = Files.readAllBytes(trust);
            KeyStore keys = open(nodeBytes, password, node);
            KeyStore trusted = open(trustBytes, password, trust);
            X509Certificate ca = (X509Certificate) trusted.getCertificate("ca");
            if (ca == null) {
                throw new BrtException("--tls %s: trust.p12 holds no CA certificate (alias 'ca')".formatted(folder));
            }
            X509Certificate own = (X509Certificate) keys.getCertificate("node");
            if (own == null || !keys.isKeyEntry("node")) {
                throw new BrtException("--tls %s: node.p12 holds no key and certificate (alias 'node')".formatted(folder));
            }
            try {
                own.verify(ca.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new BrtException("--tls %s: node.p12's certificate (%s) was not issued by the CA in trust.p12 (%s)"
                        .formatted(folder, own.getSubjectX500Principal().getName(), ca.getSubjectX500Principal().getName()));
            }
            String fingerprint = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ca.getEncoded()));
            String name = own.getSubjectX500Principal().getName().replaceFirst("^CN=", "");
            return new ClusterTls(folder, Buffer.buffer(nodeBytes), Buffer.buffer(trustBytes), password, name, fingerprint);
        } catch (IOException e) {
            throw new BrtException("--tls %s: cannot read it: %s".formatted(folder, e.getMessage()), e);
        } catch (GeneralSecurityException e) {
            throw new BrtException("--tls %s: %s".formatted(folder, e.getMessage()), e);
        }
    }

    private static KeyStore open(byte[] bytes, String password, Path file) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(bytes), password.toCharArray());
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new BrtException("%s cannot be opened with the password next to it (wrong password or damaged file): %s".formatted(file, e.getMessage()));
        }
    }

    /** Turns on TLS with required client certificates for this node's event-bus server and client. */
    EventBusOptions apply(EventBusOptions options) {
        return options.setSsl(true).setClientAuth(ClientAuth.REQUIRED)
                .setKeyCertOptions(new PfxOptions().setValue(keyStore).setPassword(password).setAlias("node").setAliasPassword(password))
                .setTrustOptions(new PfxOptions().setValue(trustStore).setPassword(password));
    }

    /** The node name in this node's certificate. */
    public String nodeName() {
        return nodeName;
    }

    /** SHA-256 of the cluster CA's certificate, hex. */
    public String caFingerprint() {
        return caFingerprint;
    }

    /** The Hazelcast cluster name for {@code name} under this CA: the name plus the first 12 hex digits of the CA fingerprint. */
    String clusterName(String name) {
        return name + "-" + caFingerprint.substring(0, 12);
    }

    @Override
    public String toString() {
        return "TLS as %s (CA %s…, from %s)".formatted(nodeName, caFingerprint.substring(0, 12), folder);
    }
}
