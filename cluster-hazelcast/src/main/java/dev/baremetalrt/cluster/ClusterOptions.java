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
 * @param busPort       the event bus's TCP port (stage traffic); 0 takes a free one, a fixed one is easier
 *                      to open in a firewall
 * @param tls           event-bus TLS with client certificates, or null for plaintext on a trusted network
 */
public record ClusterOptions(String clusterName, String host, int port, List<String> members, boolean multicast,
                             Duration heartbeat, Duration memberTimeout, int busPort, ClusterTls tls) {
    /** Plaintext, with a free event-bus port. */
    public ClusterOptions(String clusterName, String host, int port, List<String> members, boolean multicast, Duration heartbeat, Duration memberTimeout) {
        this(clusterName, host, port, members, multicast, heartbeat, memberTimeout, 0, null);
    }

    public ClusterOptions {
        requireNonNull(clusterName, "clusterName is null");
        requireNonNull(host, "host is null");
        members = List.copyOf(members);
        if (busPort < 0 || busPort > 65_535) {
            throw new IllegalArgumentException("event-bus port must be 0 (any free one) or 1-65535, got " + busPort);
        }
        if (heartbeat.compareTo(memberTimeout) >= 0) {
            throw new IllegalArgumentException("the member timeout (%s) must be longer than the heartbeat (%s)".formatted(memberTimeout, heartbeat));
        }
    }

    /** The same options with event-bus TLS from {@code tls}. */
    public ClusterOptions withTls(ClusterTls tls) {
        return new ClusterOptions(clusterName, host, port, members, multicast, heartbeat, memberTimeout, busPort, tls);
    }
}
