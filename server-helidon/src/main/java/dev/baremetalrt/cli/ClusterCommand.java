package dev.baremetalrt.cli;

import dev.baremetalrt.cluster.ClusterCertificates;
import dev.baremetalrt.cluster.ClusterNode;
import dev.baremetalrt.cluster.ClusterStatus;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code brt cluster status}: join briefly and print the members, their offers and the plans;
 * {@code brt cluster init} / {@code add-node}: the CA and node certificates for event-bus TLS.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true, subcommands = {ClusterCommand.Status.class, ClusterCommand.Init.class, ClusterCommand.AddNode.class},
        description = "Look at a cluster (see 'brt node'), or make the certificates for a TLS cluster.")
final class ClusterCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Create a cluster CA and a certificate folder for each node named, for event-bus TLS with client certificates.",
                    "Copy DIR/nodes/NAME to node NAME and start it with --tls pointing at that folder; keep DIR/ca.p12 and DIR/password",
                    "on one trusted machine (they issue new nodes)."})
    static final class Init implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "Folder for the CA and the node folders (must not hold a CA yet).")
        Path dir;

        @Option(names = "--cluster-name", description = "Name recorded in the CA certificate (default: ${DEFAULT-VALUE}).", defaultValue = "brt")
        String clusterName;

        @picocli.CommandLine.Parameters(paramLabel = "NODE", arity = "0..*", description = "Names of the nodes to issue certificates for now.")
        List<String> nodes = List.of();

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            List<Path> folders = ClusterCertificates.init(dir, clusterName, nodes);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("cluster CA in %s (keep ca.p12 and password there; they issue new nodes)%n", dir);
            printFolders(out, folders);
            return 0;
        }
    }

    @Command(name = "add-node", mixinStandardHelpOptions = true,
            description = "Issue a certificate folder for one more node from the CA that 'brt cluster init' made.")
    static final class AddNode implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "The folder 'brt cluster init' made.")
        Path dir;

        @picocli.CommandLine.Parameters(paramLabel = "NODE", description = "The new node's name.")
        String node;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            printFolders(spec.commandLine().getOut(), List.of(ClusterCertificates.addNode(dir, node)));
            return 0;
        }
    }

    private static void printFolders(PrintWriter out, List<Path> folders) {
        for (Path folder : folders) {
            out.printf("node %s: copy %s to that machine, then: brt node --tls <that folder> ...%n", folder.getFileName(), folder);
        }
        out.flush();
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Join the cluster as a member that holds nothing, print its members (oldest first: the first plans), what each offers, and each model's plan with epoch and stage readiness, then leave.")
    static final class Status implements Callable<Integer> {
        @Mixin
        ClusterJoinOptions cluster;

        @Option(names = "--json", description = "Print the JSON of GET /v1/cluster instead.")
        boolean json;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            try (ClusterNode node = ClusterNode.join(cluster.toOptions())) {
                Thread.sleep(500); // let the maps settle after joining
                JsonObject status = ClusterStatus.snapshot(node);
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(status.encodePrettily());
                } else {
                    print(status, out);
                }
                out.flush();
            }
            return 0;
        }

        static void print(JsonObject status, PrintWriter out) {
            out.printf("cluster %s: %d member(s)%n", status.getString("cluster"), status.getJsonArray("members").size());
            for (Object o : status.getJsonArray("members")) {
                JsonObject m = (JsonObject) o;
                JsonObject inv = m.getJsonObject("inventory");
                String role = m.getBoolean("coordinator") ? " (plans)" : m.getBoolean("self") ? " (this status query)" : "";
                if (inv == null) {
                    out.printf("  %s%s: offers nothing%n", m.getString("nodeId"), role);
                    continue;
                }
                out.printf("  %s%s: %s (%s), %.1f GiB offered%n", m.getString("nodeId"), role, inv.getString("backend"), inv.getString("probe", ""),
                        inv.getLong("freeMemoryBytes") / (double) (1L << 30));
                for (Object mo : inv.getJsonArray("models")) {
                    JsonObject model = (JsonObject) mo;
                    double speed = model.getDouble("layersPerSecond", 0.0);
                    out.printf("      %s (%s, checksum %s…)%s%n", model.getString("modelId"), model.getString("path"), model.getString("checksum").substring(0, 12),
                            speed > 0 ? ", %.0f layers/s measured".formatted(speed) : "");
                }
                JsonObject t = m.getJsonObject("throughput");
                if (t != null) {
                    out.printf("      throughput: %.1f positions/s now (last 10 s), %d positions in %d forwards so far, %d ms busy, %d busy refusals%n",
                            t.getDouble("positionsPerSecond", 0.0), t.getLong("positions", 0L), t.getLong("forwards", 0L), t.getLong("busyMillis", 0L),
                            t.getLong("refusedBusy", 0L));
                }
            }
            for (Object o : status.getJsonArray("plans")) {
                JsonObject plan = (JsonObject) o;
                if (!plan.containsKey("stages")) {
                    out.printf("model %s: cannot run: %s%n", plan.getString("modelId"), plan.getString("error"));
                    continue;
                }
                out.printf("model %s, plan epoch %d:%n", plan.getString("modelId"), plan.getLong("epoch"));
                for (Object so : plan.getJsonArray("stages")) {
                    JsonObject s = (JsonObject) so;
                    out.printf("  stage %d on %s: layers [%d, %d)%s%s, %s%n", s.getInteger("index"), s.getString("node"), s.getInteger("start"), s.getInteger("end"),
                            s.getBoolean("embedding") ? " +embedding" : "", s.getBoolean("head") ? " +head" : "", s.getBoolean("ready") ? "ready"
                                    : s.containsKey("progress") ? "loading %d/%d layers".formatted(s.getJsonObject("progress").getInteger("layersLoaded"),
                                            s.getJsonObject("progress").getInteger("layers")) : "loading");
                }
                plan.getJsonObject("refused", new JsonObject()).forEach(e -> out.printf("  refused %s: %s%n", e.getKey(), e.getValue()));
            }
        }
    }
}
