package dev.baremetalrt.cluster;

import dev.baremetalrt.spi.TransportException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Whether the members can be reached over the event bus, the way stage traffic would reach them. Every
 * node answers pings at {@code brt.node/<id>}; the coordinator pings each member once, without waiting (an
 * unreachable one again every {@value #RETRY_MS} ms). With TLS on, a member without a certificate from
 * the cluster's CA fails here, as does a member whose event-bus port a firewall blocks; the coordinator
 * gives such a member no shard and says why.
 */
final class MemberPings implements AutoCloseable {
    static final long TIMEOUT_MS = 3000;
    static final long RETRY_MS = 5000;

    private final ClusterNode node;
    private final MessageConsumer<Buffer> responder;
    private final Set<String> reachable = ConcurrentHashMap.newKeySet();
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> failedAt = new ConcurrentHashMap<>();
    private final Map<String, String> unreachable = new ConcurrentHashMap<>();

    private MemberPings(ClusterNode node, MessageConsumer<Buffer> responder) {
        this.node = node;
        this.responder = responder;
    }

    /** Answers this node's pings (registered cluster-wide before it returns). */
    static MemberPings start(ClusterNode node) {
        MessageConsumer<Buffer> responder = node.vertx().eventBus().consumer(address(node.nodeId()), m -> m.reply(Buffer.buffer()));
        try {
            responder.completion().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new TransportException("node %s: registering its reachability check failed: %s".formatted(node.nodeId(), e));
        }
        return new MemberPings(node, responder);
    }

    static String address(String nodeId) {
        return "brt.node/" + nodeId;
    }

    /** Pings the members due for it; forgets the ones no longer listed. */
    void check(List<String> members) {
        long now = System.currentTimeMillis();
        reachable.retainAll(members);
        unreachable.keySet().retainAll(members);
        failedAt.keySet().retainAll(members);
        for (String member : members) {
            Long lastFailure = failedAt.get(member);
            if (reachable.contains(member) || (lastFailure != null && now - lastFailure < RETRY_MS) || !pending.add(member)) {
                continue;
            }
            node.vertx().eventBus().request(address(member), Buffer.buffer(), new DeliveryOptions().setSendTimeout(TIMEOUT_MS)).onComplete(r -> {
                if (r.succeeded()) {
                    reachable.add(member);
                    failedAt.remove(member);
                    unreachable.remove(member);
                } else {
                    failedAt.put(member, System.currentTimeMillis());
                    unreachable.put(member, "no answer to a ping within %d ms: %s".formatted(TIMEOUT_MS, r.cause().getMessage()));
                }
                pending.remove(member);
            });
        }
    }

    /** Whether a member's first ping is still out: planning waits for it (at most {@value #TIMEOUT_MS} ms) rather than plan twice. */
    boolean firstAnswerPending() {
        return pending.stream().anyMatch(m -> !failedAt.containsKey(m));
    }

    boolean reachable(String member) {
        return reachable.contains(member);
    }

    /** Members whose last ping failed, with the reason. */
    Map<String, String> unreachable() {
        return Map.copyOf(unreachable);
    }

    @Override
    public void close() {
        try {
            responder.unregister();
        } catch (RuntimeException e) {
            // Vert.x already closed: nothing left to unregister
        }
    }
}
