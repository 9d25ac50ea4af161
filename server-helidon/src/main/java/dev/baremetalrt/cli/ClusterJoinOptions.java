package dev.baremetalrt.cli;

import dev.baremetalrt.cluster.ClusterOptions;
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

    @Option(names = "--host", description = "Address this node binds and announces; every member must use the same kind (default: ${DEFAULT-VALUE}).",
            defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--cluster-port", description = "Hazelcast member port; the next free one is taken when busy (default: ${DEFAULT-VALUE}).", defaultValue = "5701")
    int port;

    ClusterOptions toOptions() {
        List<String> members = join.stream().flatMap(j -> Arrays.stream(j.split(","))).map(String::trim).filter(s -> !s.isEmpty()).toList();
        return new ClusterOptions(clusterName, host, port, members, multicast, Duration.ofSeconds(1), Duration.ofSeconds(5));
    }
}
