package dev.baremetalrt.cli;

import dev.baremetalrt.cluster.ClusterNode;
import dev.baremetalrt.cluster.ClusterOptions;
import dev.baremetalrt.cluster.ClusterPlanSource;
import dev.baremetalrt.cluster.ClusterPlans;
import dev.baremetalrt.cluster.ClusterTls;
import dev.baremetalrt.cluster.EventBusTransport;
import dev.baremetalrt.cluster.WireFormat;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.spi.Settings;
import dev.baremetalrt.spi.ShardPlan;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/** How a command joins a cluster: {@code --join host[:port],...} or {@code --multicast}, with name, host and port. */
final class ClusterJoinOptions {
    @Option(names = "--join", split = ",", paramLabel = "HOST[:PORT]",
            description = "Members to join (TCP-IP), comma-separated; a node with no --join and no --multicast founds a cluster on --host.")
    List<String> join = List.of();

    @Option(names = "--multicast", description = "Find the other members by multicast on the LAN instead of --join.")
    boolean multicast;

    @Option(names = "--cluster-name", description = "Only members of the same name join each other (default: ${DEFAULT-VALUE}).", defaultValue = "brt")
    String clusterName;

    @Option(names = "--cluster-host", description = "Address this node binds and announces in the cluster; every member must use the same kind (default: ${DEFAULT-VALUE}).",
            defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--cluster-port", description = "Hazelcast member port; the next free one is taken when busy (default: ${DEFAULT-VALUE}).", defaultValue = "5701")
    int port;

    @Option(names = "--bus-port", description = {"TCP port of the event bus, which carries activations between nodes (default: any free one).",
            "Fix it to open it in a firewall next to --cluster-port."}, defaultValue = "0")
    int busPort;

    @Option(names = "--tls", paramLabel = "DIR", description = {"Run the event bus over TLS with client certificates, using the node folder that",
            "'brt cluster init' or 'brt cluster add-node' made (node.p12, trust.p12, password). Default: BRT_CLUSTER_TLS, else plaintext."})
    Path tls;

    @Option(names = "--wire", paramLabel = "FORMAT", converter = WireFormatConverter.class,
            description = {"How hidden states travel between nodes: f32 (exact, the default), f16 or bf16 (half the bytes),",
                    "q8_0 (0.27 of the bytes, for slow links; greedy output may differ slightly). Default: BRT_CLUSTER_WIRE, else f32."})
    WireFormat wire;

    static final class WireFormatConverter implements picocli.CommandLine.ITypeConverter<WireFormat> {
        @Override
        public WireFormat convert(String value) {
            return WireFormat.parse(value);
        }
    }

    /** {@link #pipeline(ClusterNode, Model, WireFormat)} with this command's {@code --wire}. */
    Pipeline pipeline(ClusterNode node, Model model) {
        WireFormat format = wire != null ? wire : Settings.get("cluster.wire").map(WireFormat::parse).orElse(WireFormat.F32);
        return pipeline(node, model, format);
    }

    /**
     * A pipeline over the cluster's current plan of {@code model}, waiting until its stages are ready, that
     * recovers from a lost stage through the next plan epoch.
     */
    static Pipeline pipeline(ClusterNode node, Model model, WireFormat wire) {
        ShardPlan plan = ClusterPlans.awaitReady(node, model.modelId(), READY_TIMEOUT);
        return new Pipeline(plan, new EventBusTransport(node, REQUEST_TIMEOUT, wire), LocalDeployment.STEP_TIMEOUT,
                new ClusterPlanSource(node, model.modelId()));
    }

    /** The whole-model engine a cluster model runs in now, if any (see {@link ClusterGenerators}). */
    static dev.baremetalrt.cluster.ClusterGenerators generators(ClusterNode node, Model model) {
        return new dev.baremetalrt.cluster.ClusterGenerators(node, model.modelId(), READY_TIMEOUT);
    }

    /** How long a command waits for the cluster to plan and load a model. */
    static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    /** One stage request; a node that leaves fails its requests at once, this bounds a hung one. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    ClusterOptions toOptions() {
        List<String> members = join.stream().flatMap(j -> Arrays.stream(j.split(","))).map(String::trim).filter(s -> !s.isEmpty()).toList();
        Path tlsFolder = tls != null ? tls : Settings.get("cluster.tls").map(Path::of).orElse(null);
        return new ClusterOptions(clusterName, host, port, members, multicast, HEARTBEAT, MEMBER_TIMEOUT, busPort,
                tlsFolder == null ? null : ClusterTls.load(tlsFolder));
    }

    /** Hazelcast heartbeat: a crash is seen when its connections drop (under a second), a hang after MEMBER_TIMEOUT. */
    static final Duration HEARTBEAT = Duration.ofSeconds(1);
    static final Duration MEMBER_TIMEOUT = Duration.ofSeconds(5);
}
