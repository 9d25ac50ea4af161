package dev.baremetalrt.cli;

import dev.baremetalrt.cluster.ClusterNode;
import dev.baremetalrt.cluster.ClusterOptions;
import dev.baremetalrt.cluster.ClusterPlans;
import dev.baremetalrt.cluster.LoopbackPorts;
import dev.baremetalrt.spi.BrtException;
import dev.baremetalrt.spi.ShardPlan;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code brt node} processes on this machine, for the demo: each offers the same model file on loopback,
 * with this JVM's flags and class path. {@link #close()} stops them with SIGTERM (a clean leave) and
 * kills what does not stop.
 */
final class LocalCluster implements AutoCloseable {
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(90);

    private final String name;
    private final List<String> members;
    private final int clientPort;
    private final List<Process> processes = new ArrayList<>();
    private final Map<String, Process> processByNode = new LinkedHashMap<>();

    private LocalCluster(String name, List<String> members, int clientPort) {
        this.name = name;
        this.members = members;
        this.clientPort = clientPort;
    }

    /** Starts {@code count} node processes offering {@code model}; returns once each has joined. Logs go to {@code logDir}. */
    static LocalCluster start(Path model, int count, int threadsPerNode, Path logDir) throws IOException, InterruptedException {
        return start(model, count, threadsPerNode, logDir, 1);
    }

    /** As {@link #start(Path, int, int, Path)}, with {@code extraMembers} more ports in the join list (the last is {@link #memberOptions}'). */
    static LocalCluster start(Path model, int count, int threadsPerNode, Path logDir, int extraMembers) throws IOException, InterruptedException {
        int[] ports = LoopbackPorts.free(count + extraMembers);
        List<String> members = new ArrayList<>();
        for (int p : ports) {
            members.add("127.0.0.1:" + p);
        }
        LocalCluster cluster = new LocalCluster("brt-local-%d-%d".formatted(ProcessHandle.current().pid(), ports[0]), members, ports[ports.length - 1]);
        Files.createDirectories(logDir);
        try {
            List<Path> logs = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Path log = logDir.resolve("node-" + i + ".log");
                logs.add(log);
                cluster.processes.add(cluster.node(model, ports[i], threadsPerNode, log));
            }
            for (int i = 0; i < count; i++) {
                cluster.awaitJoined(cluster.processes.get(i), logs.get(i));
            }
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private Process node(Path model, int port, int threads, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow(() -> new BrtException("cannot tell which java runs this process")));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--") || a.startsWith("-X")).toList());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BrtCommand.class.getName(), "node", "--model", model.toString(),
                "--threads", Integer.toString(threads), "--join", String.join(",", members), "--cluster-port", Integer.toString(port), "--cluster-name", name,
                "--no-calibrate")); // the nodes share this machine's cores: calibration would only measure each other
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private void awaitJoined(Process p, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log)) {
                    if (line.startsWith("node ") && line.contains(" joined cluster ")) {
                        processByNode.put(line.split(" ")[1], p);
                        return;
                    }
                }
            }
            if (!p.isAlive()) {
                throw new BrtException("a demo node exited with %d before joining; its log %s says:%n%s".formatted(p.exitValue(), log, Files.readString(log)));
            }
            Thread.sleep(100);
        }
        throw new BrtException("a demo node did not join within %s; see %s".formatted(JOIN_TIMEOUT, log));
    }

    /** The ports in the join list after the nodes' own, for more members. */
    List<Integer> extraPorts() {
        return members.subList(processes.size(), members.size()).stream().map(m -> Integer.parseInt(m.substring(m.lastIndexOf(':') + 1))).toList();
    }

    /**
     * The ready plan of {@code modelId} once it spans every node started here (at most one per layer). The
     * node that finishes starting first may be planned alone before the others have joined; the coordinator
     * re-plans as they arrive, and the demo and its tests want the plan over all of them, not that first one.
     *
     * @throws BrtException when no such plan is ready within {@code timeout}, naming the last plan seen
     */
    ShardPlan awaitPlan(ClusterNode member, String modelId, int layerCount, Duration timeout) {
        int wanted = Math.min(processes.size(), layerCount);
        long deadline = System.nanoTime() + timeout.toNanos();
        ShardPlan plan = ClusterPlans.awaitReady(member, modelId, timeout);
        while (plan.stages().size() < wanted) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new BrtException("cluster %s: the plan of %s never spanned the %d nodes started here within %s; the last ready one was:%n%s"
                        .formatted(name, modelId, wanted, timeout, plan.describe()));
            }
            try {
                plan = ClusterPlans.awaitReady(member, modelId, plan.epoch(), Duration.ofNanos(left));
            } catch (dev.baremetalrt.spi.TransportException e) {
                throw new BrtException("cluster %s: the plan of %s never spanned the %d nodes started here within %s (%s); the last ready one was:%n%s"
                        .formatted(name, modelId, wanted, timeout, e.getMessage(), plan.describe()));
            }
        }
        return plan;
    }

    /** How this process joins the nodes' cluster as a member that holds nothing (on the last extra port). */
    ClusterOptions memberOptions() {
        return new ClusterOptions(name, "127.0.0.1", clientPort, members, false, Duration.ofSeconds(1), Duration.ofSeconds(5));
    }

    /** The process id of a node, for the plan printout (-1 for a node this did not start). */
    long pid(String nodeId) {
        Process p = processByNode.get(nodeId);
        return p == null ? -1 : p.pid();
    }

    /** The process of a node this started (tests stop or kill it). */
    Process process(String nodeId) {
        Process p = processByNode.get(nodeId);
        if (p == null) {
            throw new IllegalArgumentException("node " + nodeId + " was not started here");
        }
        return p;
    }

    /** The {@code --join} list of the nodes and a free port for one more member. */
    String joinList() {
        return String.join(",", members);
    }

    String clusterName() {
        return name;
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
