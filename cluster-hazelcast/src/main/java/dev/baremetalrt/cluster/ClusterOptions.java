package dev.baremetalrt.cluster;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * How a node joins the cluster.
 *
 * @param clusterName   nodes join only clusters of the same name
 * @param host          the address this node binds and announces (all members must use the same kind:
 *                      all loopback or all LAN addresses, or Hazelcast loops on joining)
 * @param port          Hazelcast's member port (the next free one is taken when it is busy)
 * @param members       TCP-IP join list, {@code host} or {@code host:port}; empty with {@code multicast}
 * @param multicast     join by multicast on the LAN instead of a member list
 * @param heartbeat     Hazelcast heartbeat interval
 * @param memberTimeout a member that sent no heartbeat for this long is removed (a hung process)
 */
public record ClusterOptions(String clusterName, String host, int port, List<String> members, boolean multicast,
                             Duration heartbeat, Duration memberTimeout) {
    public ClusterOptions {
        requireNonNull(clusterName, "clusterName is null");
        requireNonNull(host, "host is null");
        members = List.copyOf(members);
        if (heartbeat.compareTo(memberTimeout) >= 0) {
            throw new IllegalArgumentException("the member timeout (%s) must be longer than the heartbeat (%s)".formatted(memberTimeout, heartbeat));
        }
    }
}
