package dev.baremetalrt.cluster;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BrtException;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.Settings;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.Transport;
import dev.baremetalrt.spi.TransportException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Reaches stages on other nodes over the clustered event bus: request/reply with a timeout per request.
 * A stage that answers "busy" (its queue is full) is asked again after a pause that doubles from 2 to
 * 200 ms, within the same timeout ({@link StageRequests}).
 * Hidden states travel in {@code hiddenType} (F32 keeps results bit-identical to one process; F16 halves
 * the bytes per hop).
 *
 * <p>{@link #forwardThrough} over several stages chains them: the batch goes to the first stage, each stage
 * sends its output straight to the next, and the last one sends the result to this transport's reply
 * address. A token then crosses the network once per stage plus once back, instead of twice per stage. Any
 * stage's failure comes to the reply address; a stage's node leaving the cluster fails the chain at once;
 * the step timeout per stage bounds the rest. Setting {@code cluster.chain=false} relays through the
 * caller instead.
 */
public final class EventBusTransport implements Transport {
    private static final Logger LOG = Logger.getLogger(EventBusTransport.class.getName());

    private final Vertx vertx;
    private final Duration timeout;
    private final WireFormat hiddenType;
    private final boolean chaining;

    private final AtomicLong bytesSent = new AtomicLong();
    private final LongAdder busyRetries = new LongAdder();
    /** Requests and chains in flight and the nodes each one waits on, so that a node's departure fails them at once. */
    private final Map<CompletableFuture<?>, List<String>> pending = new ConcurrentHashMap<>();
    /** Chains in flight by id, completed by what arrives at {@link #replyAddress}. */
    private final Map<String, Chain> chains = new ConcurrentHashMap<>();
    private final String replyAddress = "brt.chain-reply/" + UUID.randomUUID();
    private MessageConsumer<Buffer> replies;

    private record Chain(CompletableFuture<StepResult> result, ShardPlan.Stage first, int stages) {}

    /** A transport that chains stages unless the setting {@code cluster.chain} is {@code false}. */
    public EventBusTransport(Vertx vertx, Duration timeout, WireFormat hiddenType) {
        this(vertx, timeout, hiddenType, Settings.get("cluster.chain").map(v -> !v.trim().equalsIgnoreCase("false")).orElse(true));
    }

    /** @param chaining whether {@link #forwardThrough} hands hidden states from stage to stage (else it relays them through here) */
    public EventBusTransport(Vertx vertx, Duration timeout, WireFormat hiddenType, boolean chaining) {
        this.vertx = requireNonNull(vertx, "vertx is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.hiddenType = requireNonNull(hiddenType, "hiddenType is null");
        this.chaining = chaining;
    }

    /**
     * A transport on a cluster member that fails the requests waiting on a node as soon as the cluster
     * sees that node leave, instead of at their timeout.
     */
    public EventBusTransport(ClusterNode node, Duration timeout, WireFormat hiddenType) {
        this(node.vertx(), timeout, hiddenType);
        node.onMemberLeft(this::nodeLeft);
    }

    private void nodeLeft(String nodeId) {
        pending.forEach((future, nodes) -> {
            if (nodes.contains(nodeId)) {
                future.completeExceptionally(new TransportException("node %s left the cluster with a request in flight".formatted(nodeId)));
            }
        });
    }

    /**
     * Bytes of step batches this transport sent so far (for the bytes-per-token figures). A chain's hops between
     * stages are sent by the stages, so only its first hop counts here.
     */
    public long bytesSent() {
        return bytesSent.get();
    }

    @Override
    public CompletableFuture<StepResult> forward(ShardPlan.Stage stage, StepBatch batch) {
        byte[] body;
        try {
            body = StepCodec.encodeBatch(batch, hiddenType);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        bytesSent.addAndGet(body.length);
        return request(stage, StageAddress.FORWARD, Buffer.buffer(body), new DeliveryOptions(), reply -> StepCodec.decodeResult(reply.getBytes()));
    }

    @Override
    public CompletableFuture<StepResult> forwardThrough(List<ShardPlan.Stage> stages, StepBatch batch) {
        if (stages.size() < 2 || !chaining) {
            return Transport.super.forwardThrough(stages, batch);
        }
        byte[] body;
        try {
            body = StepCodec.encodeBatch(batch, hiddenType);
            listenForChainResults();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        bytesSent.addAndGet(body.length);
        ShardPlan.Stage first = stages.getFirst();
        String chainId = UUID.randomUUID().toString();
        CompletableFuture<StepResult> result = new CompletableFuture<>();
        chains.put(chainId, new Chain(result, first, stages.size()));
        pending.put(result, stages.stream().map(ShardPlan.Stage::node).toList());
        long timer = vertx.setTimer(timeout.toMillis() * stages.size(), t -> result.completeExceptionally(new TransportException(
                "the %d stages from %s of model %s returned no result within %d ms".formatted(stages.size(), first.describe(), first.modelId(), timeout.toMillis() * stages.size()))));
        result.whenComplete((r, e) -> {
            chains.remove(chainId);
            pending.remove(result);
            vertx.cancelTimer(timer);
        });
        DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeout.toMillis()).addHeader(StageAddress.OP, StageAddress.FORWARD_CHAIN)
                .addHeader(StageAddress.REPLY_TO, replyAddress).addHeader(StageAddress.CHAIN, chainId).addHeader(StageAddress.WIRE, hiddenType.name())
                .addHeader(StageAddress.TIMEOUT_MS, Long.toString(timeout.toMillis()));
        stages.subList(1, stages.size()).forEach(stage -> options.addHeader(StageAddress.ROUTE, StageAddress.of(stage)));
        StageRequests.request(vertx, StageAddress.of(first), Buffer.buffer(body), options, System.nanoTime() + timeout.toNanos(), busyRetries::increment, result::isDone, accepted -> {
            if (accepted.failed()) {
                result.completeExceptionally(translate(first, StageAddress.FORWARD_CHAIN, accepted.cause()));
            }
        });
        return result;
    }

    /** Registers the reply address of chains once, and waits until the cluster knows it (a stage may answer within milliseconds). */
    private synchronized void listenForChainResults() {
        if (replies != null) {
            return;
        }
        MessageConsumer<Buffer> consumer = vertx.eventBus().consumer(replyAddress, this::chainAnswered);
        try {
            consumer.completion().toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            consumer.unregister();
            throw new TransportException("could not register this node's chain reply address on the event bus: " + e);
        }
        replies = consumer;
    }

    private void chainAnswered(Message<Buffer> message) {
        Chain chain = chains.get(message.headers().get(StageAddress.CHAIN));
        if (chain == null) {
            return; // timed out or failed already
        }
        int code = Integer.parseInt(message.headers().get(StageAddress.CODE));
        if (code == 0) {
            try {
                chain.result().complete(StepCodec.decodeResult(message.body().getBytes()));
            } catch (RuntimeException e) {
                chain.result().completeExceptionally(e);
            }
            return;
        }
        String why = message.body().toString();
        chain.result().completeExceptionally(switch (code) {
            case StageAddress.SESSION_REFUSED -> new SessionException(why);
            case StageAddress.BACKEND_REFUSED -> new BackendException(why);
            default -> new TransportException("the %d stages from %s of model %s failed: %s".formatted(chain.stages(), chain.first().describe(), chain.first().modelId(), why));
        });
    }

    @Override
    public void close() {
        MessageConsumer<Buffer> consumer;
        synchronized (this) {
            consumer = replies;
            replies = null;
        }
        if (consumer != null) {
            consumer.unregister().onFailure(e -> LOG.fine(() -> "unregistering " + replyAddress + ": " + e));
        }
    }

    @Override
    public CompletableFuture<Void> openSession(ShardPlan.Stage stage, String sessionId) {
        return control(stage, StageAddress.OPEN, sessionId, new DeliveryOptions());
    }

    @Override
    public CompletableFuture<Void> truncate(ShardPlan.Stage stage, String sessionId, int length) {
        return control(stage, StageAddress.TRUNCATE, sessionId, new DeliveryOptions().addHeader(StageAddress.LENGTH, Integer.toString(length)));
    }

    @Override
    public CompletableFuture<Void> release(ShardPlan.Stage stage, String sessionId) {
        return control(stage, StageAddress.RELEASE, sessionId, new DeliveryOptions());
    }

    private CompletableFuture<Void> control(ShardPlan.Stage stage, String op, String sessionId, DeliveryOptions options) {
        return request(stage, op, Buffer.buffer(), options.addHeader(StageAddress.SESSION, sessionId), reply -> null);
    }

    private <T> CompletableFuture<T> request(ShardPlan.Stage stage, String op, Buffer body, DeliveryOptions options, Function<Buffer, T> decode) {
        options.addHeader(StageAddress.OP, op).setSendTimeout(timeout.toMillis());
        CompletableFuture<T> result = new CompletableFuture<>();
        pending.put(result, List.of(stage.node()));
        result.whenComplete((r, e) -> pending.remove(result));
        // a request abandoned because the node left is not sent again
        StageRequests.request(vertx, StageAddress.of(stage), body, options, System.nanoTime() + timeout.toNanos(), busyRetries::increment, result::isDone, reply -> {
            if (reply.succeeded()) {
                try {
                    result.complete(decode.apply(reply.result().body()));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            } else {
                result.completeExceptionally(translate(stage, op, reply.cause()));
            }
        });
        return result;
    }

    /** How often a busy stage made this transport pause and send again (back-pressure at work). */
    public long busyRetries() {
        return busyRetries.sum();
    }

    private BrtException translate(ShardPlan.Stage stage, String op, Throwable cause) {
        String where = "%s of model %s on node %s".formatted(stage.describe(), stage.modelId(), stage.node());
        if (cause instanceof ReplyException reply) {
            return switch (reply.failureType()) {
                case TIMEOUT -> new TransportException("%s did not answer %s within %d ms".formatted(where, op, timeout.toMillis()));
                case NO_HANDLERS -> new TransportException("no node serves %s (the node left, or the stage is not loaded)".formatted(where));
                case RECIPIENT_FAILURE -> switch (reply.failureCode()) {
                    case StageAddress.SESSION_REFUSED -> new SessionException(reply.getMessage());
                    case StageAddress.BACKEND_REFUSED -> new BackendException(reply.getMessage());
                    case StageAddress.BUSY -> new TransportException("%s stayed busy for %d ms: %s".formatted(where, timeout.toMillis(), reply.getMessage()));
                    default -> new TransportException("%s failed %s: %s".formatted(where, op, reply.getMessage()));
                };
                default -> new TransportException("%s: %s failed: %s".formatted(where, op, reply.getMessage()));
            };
        }
        return new TransportException("%s: %s failed: %s".formatted(where, op, cause));
    }
}
