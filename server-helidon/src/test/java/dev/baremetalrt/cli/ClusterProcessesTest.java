package dev.baremetalrt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.conformance.StoriesReference;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Separate JVM processes on loopback: two {@code brt node} processes hold stories260K, and a third runs
 * {@code brt generate --cluster}; the greedy ids equal REFERENCE.md (the single-process result).
 */
class ClusterProcessesTest {
    private final List<Process> processes = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void stopNodes() throws InterruptedException {
        for (Process p : processes) {
            p.destroy(); // SIGTERM: the node leaves the cluster cleanly
        }
        for (Process p : processes) {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A brt process with this JVM's flags and class path; output goes to {@code log}. */
    private Process brt(Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--") || a.startsWith("-X")).toList());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BrtCommand.class.getName()));
        command.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        return p;
    }

    private static void awaitLine(Path log, String text, Process p) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            if (!p.isAlive()) {
                throw new AssertionError("process exited with %d before printing '%s':%n%s".formatted(p.exitValue(), text, Files.readString(log)));
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no '%s' within 90 s:%n%s".formatted(text, Files.readString(log)));
    }

    @Test
    void twoNodeProcessesServeStoriesToAThirdThatGeneratesTheReferenceIds() throws Exception {
        String model = SharedModels.file("stories260K/stories260K.gguf").toString();
        int[] ports = {freePort(), freePort(), freePort()};
        String join = "127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d".formatted(ports[0], ports[1], ports[2]);
        String name = "brt-procs-" + ProcessHandle.current().pid();
        for (int i = 0; i < 2; i++) {
            Path log = dir.resolve("node" + i + ".log");
            Process node = brt(log, "node", "--model", model, "--threads", "1", "--join", join, "--cluster-port", Integer.toString(ports[i]), "--cluster-name", name);
            awaitLine(log, "joined cluster " + name, node);
        }
        Path log = dir.resolve("generate.log");
        Process generate = brt(log, "generate", "--cluster", "--join", join, "--cluster-port", Integer.toString(ports[2]), "--cluster-name", name,
                "--model", model, "--temperature", "0", "--max-tokens", "200", "--print-ids");
        assertTrue(generate.waitFor(120, TimeUnit.SECONDS), "generate finishes");
        String output = Files.readString(log);
        assertEquals(0, generate.exitValue(), output);
        String ids = output.lines().filter(l -> l.startsWith("1 403 ")).findFirst().orElseThrow(() -> new AssertionError("no id line in:\n" + output));
        assertArrayEquals(StoriesReference.load().sequence(201), Arrays.stream(ids.trim().split(" ")).mapToInt(Integer::parseInt).toArray());
        assertTrue(output.contains("2 stage(s) on cluster " + name), output);
    }
}
