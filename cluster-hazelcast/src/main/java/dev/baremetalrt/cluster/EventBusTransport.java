package dev.baremetalrt.cluster;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BrtException;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.Transport;
import dev.baremetalrt.spi.TransportException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Reaches stages on other nodes over the clustered event bus: request/reply with a timeout per request.
 * A stage that answers "busy" (its queue is full) is asked again after a pause that doubles from 2 to
 * 200 ms, within the same timeout.
 * Hidden states travel in {@code hiddenType} (F32 keeps results bit-identical to one process; F16 halves
 * the bytes per hop).
 */
public final class EventBusTransport implements Transport {
    private final Vertx vertx;
    private final Duration timeout;
    private final WireFormat hiddenType;
    private static final long FIRST_BUSY_PAUSE_MS = 2;
    private static final long MAX_BUSY_PAUSE_MS = 200;

    private final AtomicLong bytesSent = new AtomicLong();
    private final LongAdder busyRetries = new LongAdder();
    /** Requests in flight and the node each one waits on, so that a node's departure fails them at once. */
    private final Map<CompletableFuture<?>, String> pending = new ConcurrentHashMap<>();

    public EventBusTransport(Vertx vertx, Duration timeout, WireFormat hiddenType) {
        this.vertx = requireNonNull(vertx, "vertx is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.hiddenType = requireNonNull(hiddenType, "hiddenType is null");
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
        pending.forEach((future, node) -> {
            if (node.equals(nodeId)) {
                future.completeExceptionally(new TransportException("node %s left the cluster with a request in flight".formatted(nodeId)));
            }
        });
    }

    /** Bytes of step batches sent so far (for the bytes-per-token figures). */
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
        pending.put(result, stage.node());
        result.whenComplete((r, e) -> pending.remove(result));
        attempt(stage, op, body, options, decode, result, System.nanoTime() + timeout.toNanos(), FIRST_BUSY_PAUSE_MS);
        return result;
    }

    /** Sends once; a busy stage is asked again after {@code pauseMs} (doubling, capped) until the deadline. */
    private <T> void attempt(ShardPlan.Stage stage, String op, Buffer body, DeliveryOptions options, Function<Buffer, T> decode,
                             CompletableFuture<T> result, long deadline, long pauseMs) {
        if (result.isDone()) {
            return; // the node left while we paused
        }
        vertx.eventBus().<Buffer>request(StageAddress.of(stage), body, options).onComplete(reply -> {
            if (reply.succeeded()) {
                try {
                    result.complete(decode.apply(reply.result().body()));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            } else if (busy(reply.cause()) && System.nanoTime() + pauseMs * 1_000_000 < deadline) {
                busyRetries.increment();
                vertx.setTimer(pauseMs, t -> attempt(stage, op, body, options, decode, result, deadline, Math.min(MAX_BUSY_PAUSE_MS, pauseMs * 2)));
            } else {
                result.completeExceptionally(translate(stage, op, reply.cause()));
            }
        });
    }

    private static boolean busy(Throwable cause) {
        return cause instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE && reply.failureCode() == StageAddress.BUSY;
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
