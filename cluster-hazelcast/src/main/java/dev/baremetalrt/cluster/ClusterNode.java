package dev.baremetalrt.cluster;

import static java.util.Objects.requireNonNull;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.baremetalrt.spi.TransportException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * This process as a member of the cluster: a Vert.x instance clustered through Hazelcast, with failure
 * detection tuned by {@link ClusterOptions} and a clean leave on {@link #close()} (the others see a member
 * leave, not a crash).
 */
public final class ClusterNode implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ClusterNode.class.getName());
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

    static {
        ClusterLogging.useJul();
    }

    private final Vertx vertx;
    private final HazelcastInstance hazelcast;
    private final HazelcastClusterManager clusterManager;
    private final String clusterName;
    private final boolean tls;

    private ClusterNode(Vertx vertx, HazelcastInstance hazelcast, HazelcastClusterManager clusterManager, String clusterName, boolean tls) {
        this.vertx = vertx;
        this.hazelcast = hazelcast;
        this.clusterManager = clusterManager;
        this.clusterName = clusterName;
        this.tls = tls;
    }

    /** Whether this node's event bus runs TLS with client certificates. */
    public boolean tls() {
        return tls;
    }

    /** Joins (or founds) the cluster; blocks until this node is a member. */
    public static ClusterNode join(ClusterOptions options) {
        requireNonNull(options, "options is null");
        Config config = hazelcastConfig(options);
        // vertx-hazelcast finds a member's Vert.x node id in this attribute when it is given an instance
        config.getMemberAttributeConfig().setAttribute(NODE_ID_ATTRIBUTE, java.util.UUID.randomUUID().toString());
        HazelcastInstance hazelcast = Hazelcast.newHazelcastInstance(config);
        HazelcastClusterManager manager = new HazelcastClusterManager(hazelcast);
        EventBusOptions bus = new EventBusOptions().setHost(options.host()).setClusterPublicHost(options.host()).setPort(options.busPort());
        if (options.tls() != null) {
            options.tls().apply(bus);
        }
        VertxOptions vertxOptions = new VertxOptions().setEventBusOptions(bus);
        Future<Vertx> started = Vertx.builder().with(vertxOptions).withClusterManager(manager).buildClustered();
        try {
            Vertx vertx = started.toCompletionStage().toCompletableFuture().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            ClusterNode node = new ClusterNode(vertx, hazelcast, manager, config.getClusterName(), options.tls() != null);
            LOG.info(() -> "node %s joined cluster %s (%d members, event bus %s)".formatted(node.nodeId(), node.clusterName(), node.members().size(),
                    options.tls() == null ? "plaintext" : options.tls()));
            return node;
        } catch (ExecutionException e) {
            hazelcast.shutdown();
            throw new TransportException("could not join cluster %s on %s (event-bus port %s): %s".formatted(config.getClusterName(), options.host(),
                    options.busPort() == 0 ? "any" : options.busPort(), e.getCause().getMessage()));
        } catch (TimeoutException e) {
            throw new TransportException("joining cluster %s took longer than %s".formatted(options.clusterName(), START_TIMEOUT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted while joining cluster " + options.clusterName());
        }
    }

    static Config hazelcastConfig(ClusterOptions options) {
        Config config = ConfigUtil.loadConfig(); // keeps the maps Vert.x needs
        // nodes of different CAs must not form one cluster: their event buses could not talk anyway
        config.setClusterName(options.tls() == null ? options.clusterName() : options.tls().clusterName(options.clusterName()));
        config.setProperty("hazelcast.logging.type", "jdk");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.heartbeat.interval.seconds", Long.toString(Math.max(1, options.heartbeat().toSeconds())));
        config.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(Math.max(2, options.memberTimeout().toSeconds())));
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(options.port()).setPortAutoIncrement(true);
        network.getInterfaces().setEnabled(true).addInterface(options.host());
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(options.multicast());
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(!options.multicast()).setMembers(options.members().isEmpty() ? List.of(options.host()) : options.members());
        return config;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** This node's id in the cluster. */
    public String nodeId() {
        return clusterManager.getNodeId();
    }

    /** Ids of every member, this one included, oldest first (Hazelcast keeps the member list in join order). */
    public List<String> members() {
        return hazelcast.getCluster().getMembers().stream().map(m -> m.getAttribute(NODE_ID_ATTRIBUTE)).filter(java.util.Objects::nonNull).toList();
    }

    /** Whether this node is the oldest member, the one that computes plans. */
    public boolean isCoordinator() {
        List<String> members = members();
        return !members.isEmpty() && members.getFirst().equals(nodeId());
    }

    /**
     * Calls {@code listener} with the node id of every member that leaves or is removed (a crash is seen
     * when its connections drop, usually in under a second; a hung member after the member timeout).
     */
    public void onMemberLeft(java.util.function.Consumer<String> listener) {
        hazelcast.getCluster().addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
            @Override
            public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {}

            @Override
            public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
                String id = event.getMember().getAttribute(NODE_ID_ATTRIBUTE);
                if (id != null) {
                    listener.accept(id);
                }
            }
        });
    }

    /**
     * A cluster-wide map of strings: a Hazelcast ReplicatedMap, held whole on every member, so reads are
     * local. The agents read the plans, inventories and readiness every tick; on a partitioned IMap each
     * {@code values()} was an operation on all 271 partitions, and three idle nodes burned 11-15% of a
     * core each. Writes reach the others asynchronously (milliseconds); every reader polls.
     */
    java.util.Map<String, String> map(String name) {
        return hazelcast.getReplicatedMap(name);
    }

    public String clusterName() {
        return clusterName;
    }

    /** Leaves the cluster cleanly (the others see a leave, not a crash) and stops Vert.x. */
    @Override
    public void close() {
        String id = nodeId();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warning(() -> "node %s: leaving cluster %s: %s".formatted(id, clusterName, e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hazelcast.shutdown(); // graceful: the members are told this one leaves
        }
    }
}
