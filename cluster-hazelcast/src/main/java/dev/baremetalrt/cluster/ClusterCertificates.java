package dev.baremetalrt.cluster;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.BrtException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * What {@code brt cluster init} and {@code brt cluster add-node} write: a cluster certificate authority and
 * one folder per node with the key and certificate that node presents (and checks others against).
 * <pre>
 * DIR/ca.p12, DIR/ca.pem, DIR/password     the CA: keep these on one trusted machine, never on the nodes
 * DIR/nodes/NAME/node.p12                  NAME's key + certificate signed by the CA (client and server use)
 * DIR/nodes/NAME/trust.p12                 the CA certificate: the only issuer this node trusts
 * DIR/nodes/NAME/password                  the keystores' password
 * </pre>
 * Copy {@code DIR/nodes/NAME} to node NAME and start it with {@code --tls} naming that folder. Keys are
 * EC P-256, valid ten years. The work is done by the JDK's own {@code keytool} (no extra library); files
 * holding secrets are made readable by their owner only where the file system allows.
 */
public final class ClusterCertificates {
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final String VALIDITY_DAYS = "3650";
    /** keytool reads the keystore password from this variable of its own environment ({@code -storepass:env}). */
    private static final String PASSWORD_ENV = "BRT_KEYSTORE_PASSWORD";

    private ClusterCertificates() {}

    /** Creates the CA in {@code dir} (which must not hold one yet) and a folder for each of {@code nodes}. */
    public static List<Path> init(Path dir, String clusterName, List<String> nodes) {
        requireNonNull(dir, "dir is null");
        requireNonNull(clusterName, "clusterName is null");
        if (Files.exists(dir.resolve("ca.p12"))) {
            throw new BrtException("%s already holds a cluster CA (ca.p12); add nodes with 'brt cluster add-node --dir %s NAME'".formatted(dir, dir));
        }
        nodes.forEach(ClusterCertificates::checkName);
        try {
            Files.createDirectories(dir);
            String password = newPassword();
            writeSecret(dir.resolve("password"), password);
            keytool(password, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=BareMetalRT cluster CA " + clusterName,
                    "-ext", "bc:c", "-validity", VALIDITY_DAYS, "-keystore", dir.resolve("ca.p12").toString(), "-storetype", "PKCS12",
                    "-storepass:env", PASSWORD_ENV, "-keypass:env", PASSWORD_ENV);
            keytool(password, "-exportcert", "-alias", "ca", "-keystore", dir.resolve("ca.p12").toString(), "-storepass:env", PASSWORD_ENV, "-rfc",
                    "-file", dir.resolve("ca.pem").toString());
            restrict(dir.resolve("ca.p12"));
        } catch (IOException e) {
            throw new BrtException("cannot write the cluster CA in %s: %s".formatted(dir, e.getMessage()), e);
        }
        List<Path> folders = new ArrayList<>();
        for (String node : nodes) {
            folders.add(addNode(dir, node));
        }
        return folders;
    }

    /** Issues a certificate for node {@code name} from the CA in {@code dir}; returns the folder to copy to that node. */
    public static Path addNode(Path dir, String name) {
        checkName(name);
        Path ca = dir.resolve("ca.p12");
        if (!Files.isRegularFile(ca)) {
            throw new BrtException("%s holds no cluster CA (ca.p12); create one with 'brt cluster init --dir %s'".formatted(dir, dir));
        }
        Path folder = dir.resolve("nodes").resolve(name);
        if (Files.exists(folder.resolve("node.p12"))) {
            throw new BrtException("node %s already has a certificate in %s".formatted(name, folder));
        }
        try {
            String password = Files.readString(dir.resolve("password"), StandardCharsets.UTF_8).trim();
            Files.createDirectories(folder);
            Path keystore = folder.resolve("node.p12");
            Path request = folder.resolve("node.csr");
            Path signed = folder.resolve("node.pem");
            Path caPem = dir.resolve("ca.pem");
            keytool(password, "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name, "-validity", VALIDITY_DAYS,
                    "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass:env", PASSWORD_ENV, "-keypass:env", PASSWORD_ENV);
            keytool(password, "-certreq", "-alias", "node", "-keystore", keystore.toString(), "-storepass:env", PASSWORD_ENV, "-file", request.toString());
            keytool(password, "-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass:env", PASSWORD_ENV, "-infile", request.toString(), "-outfile", signed.toString(),
                    "-rfc", "-validity", VALIDITY_DAYS, "-ext", "ku:c=digitalSignature,keyAgreement", "-ext", "eku=serverAuth,clientAuth");
            // keytool installs a signed reply only when it can chain it to a certificate it holds: the CA's, removed again after
            keytool(password, "-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", keystore.toString(), "-storepass:env", PASSWORD_ENV);
            keytool(password, "-importcert", "-alias", "node", "-file", signed.toString(), "-keystore", keystore.toString(), "-storepass:env", PASSWORD_ENV, "-keypass:env", PASSWORD_ENV);
            keytool(password, "-delete", "-alias", "ca", "-keystore", keystore.toString(), "-storepass:env", PASSWORD_ENV);
            keytool(password, "-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", folder.resolve("trust.p12").toString(),
                    "-storetype", "PKCS12", "-storepass:env", PASSWORD_ENV);
            Files.delete(request);
            Files.delete(signed);
            writeSecret(folder.resolve("password"), password);
            restrict(keystore);
            return folder;
        } catch (IOException e) {
            throw new BrtException("cannot write node %s's certificate in %s: %s".formatted(name, folder, e.getMessage()), e);
        }
    }

    private static void checkName(String name) {
        if (name == null || !NODE_NAME.matcher(name).matches()) {
            throw new BrtException("node name '%s' must be 1-63 letters, digits, dots, dashes or underscores".formatted(name));
        }
    }

    private static String newPassword() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void writeSecret(Path file, String secret) throws IOException {
        Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
        restrict(file);
    }

    private static void restrict(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
    }

    /** Runs this JDK's keytool; a failure is a BrtException with keytool's own words. */
    private static void keytool(String password, String... args) throws IOException {
        boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", windows ? "keytool.exe" : "keytool");
        if (!Files.isExecutable(keytool)) {
            throw new BrtException("making cluster certificates needs the JDK's keytool, which is not at " + keytool + " (a JRE without it?)");
        }
        List<String> command = new ArrayList<>();
        command.add(keytool.toString());
        command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC")); // a short run: starting fast is all that matters
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put(PASSWORD_ENV, password); // not on the command line, where any local user's ps would see it
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new BrtException("keytool %s did not finish in 60 s".formatted(args[0]));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrtException("interrupted while running keytool " + args[0]);
        }
        if (process.exitValue() != 0) {
            throw new BrtException("keytool %s failed: %s".formatted(args[0], output));
        }
    }
}
