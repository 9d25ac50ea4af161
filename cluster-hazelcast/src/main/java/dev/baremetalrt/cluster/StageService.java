package dev.baremetalrt.cluster;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Settings;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.TransportException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves one loaded shard on the event bus at {@link StageAddress#of}. Requests run on a worker thread
 * (a forward blocks for the whole layer range); the shard's own refusals go back as reply failures with
 * their message, so the caller rethrows the same exception type.
 *
 * <p>Back-pressure: at most {@code maxQueued} forwards wait or run at once (setting
 * {@code cluster.stage-queue}, default {@value #DEFAULT_MAX_QUEUED}); one more is answered
 * {@link StageAddress#BUSY} at once, and the sender retries with a growing pause instead of piling work
 * onto a node that cannot keep up. Counters of what the stage did feed the cluster's per-node throughput.
 */
public final class StageService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StageService.class.getName());
    static final int DEFAULT_MAX_QUEUED = 32;
    /** How long a hand-off to the next stage of a chain may wait to be accepted when the caller did not say. */
    private static final long DEFAULT_HAND_OFF_TIMEOUT_MS = 60_000;

    private final Vertx vertx;
    private final ShardPlan.Stage stage;
    private final Shard shard;
    private final int maxQueued;
    private final MessageConsumer<Buffer> consumer;
    private final io.vertx.core.Context context;
    private final AtomicInteger queued = new AtomicInteger();
    private final LongAdder positions = new LongAdder();
    private final LongAdder forwards = new LongAdder();
    private final LongAdder busyNanos = new LongAdder();
    private final LongAdder refusedBusy = new LongAdder();
    /** Whole-model generations running here, by their event address. */
    private final java.util.Map<String, dev.baremetalrt.spi.TokenGenerator.Generation> generations = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * What a stage has done since it started: positions through its layers, forwards, time spent in them, busy
     * refusals. On a whole-model engine's stage, positions are the tokens it generated and forwards the generations
     * it started (it has no forward steps), so the cluster's per-node throughput means the same: tokens through it.
     */
    public record Counters(long positions, long forwards, long busyNanos, long refusedBusy) {}

    private StageService(Vertx vertx, ShardPlan.Stage stage, Shard shard, int maxQueued) {
        this.vertx = vertx;
        this.stage = stage;
        this.shard = shard;
        this.maxQueued = maxQueued;
        this.consumer = vertx.eventBus().consumer(StageAddress.of(stage), this::handle);
        this.context = vertx.getOrCreateContext();
    }

    /** Starts serving {@code shard} as {@code stage}; returns once the address is registered cluster-wide. */
    public static StageService start(Vertx vertx, ShardPlan.Stage stage, Shard shard) {
        return start(vertx, stage, shard, Settings.getInt("cluster.stage-queue", DEFAULT_MAX_QUEUED));
    }

    /** As {@link #start(Vertx, ShardPlan.Stage, Shard)} with at most {@code maxQueued} forwards waiting or running. */
    public static StageService start(Vertx vertx, ShardPlan.Stage stage, Shard shard, int maxQueued) {
        if (maxQueued < 1) {
            throw new IllegalArgumentException("a stage must accept at least one forward at a time, got " + maxQueued);
        }
        StageService service = new StageService(requireNonNull(vertx, "vertx is null"), requireNonNull(stage, "stage is null"), requireNonNull(shard, "shard is null"), maxQueued);
        try {
            service.consumer.completion().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new TransportException("could not register %s of model %s on the event bus: %s".formatted(stage.describe(), stage.modelId(), e));
        }
        return service;
    }

    private void handle(Message<Buffer> message) {
        String op = message.headers().get(StageAddress.OP);
        boolean chain = StageAddress.FORWARD_CHAIN.equals(op);
        boolean forward = chain || StageAddress.FORWARD.equals(op);
        if (forward && queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            refusedBusy.increment();
            message.fail(StageAddress.BUSY, "%s of model %s is busy (%d forwards queued)".formatted(stage.describe(), stage.modelId(), maxQueued));
            return;
        }
        if (chain) {
            message.reply(Buffer.buffer()); // accepted: the result travels on to the next stage, not back to the sender
            vertx.executeBlocking(() -> runChained(message), false).onComplete(done -> {
                queued.decrementAndGet();
                chained(message, done);
            });
            return;
        }
        // unordered: sessions of different callers may run while one forward blocks (shards serialise what they must)
        vertx.executeBlocking(() -> run(op, message), false).onComplete(done -> {
            if (forward) {
                queued.decrementAndGet();
            }
            if (done.succeeded()) {
                message.reply(done.result());
            } else {
                message.fail(failureCode(op, done.cause()), String.valueOf(done.cause().getMessage()));
            }
        });
    }

    private int failureCode(String op, Throwable e) {
        int code = e instanceof SessionException ? StageAddress.SESSION_REFUSED
                : e instanceof BackendException ? StageAddress.BACKEND_REFUSED
                : e instanceof TransportException ? StageAddress.BAD_REQUEST : StageAddress.FAILED;
        if (code == StageAddress.FAILED) {
            LOG.log(Level.WARNING, "%s of model %s failed on %s".formatted(stage.describe(), stage.modelId(), op), e);
        }
        return code;
    }

    /** What a stage of a chain produced: the encoded result when it is the last stage, else the next stage's batch. */
    private record ChainOutput(byte[] bytes, boolean last) {}

    private ChainOutput runChained(Message<Buffer> message) {
        StepBatch batch = StepCodec.decodeBatch(message.body().getBytes());
        StepResult result = forward(batch);
        if (message.headers().getAll(StageAddress.ROUTE).isEmpty()) {
            return new ChainOutput(StepCodec.encodeResult(result), true);
        }
        WireFormat wire = WireFormat.parse(message.headers().get(StageAddress.WIRE));
        return new ChainOutput(StepCodec.encodeBatch(batch.withHidden(result), wire), false); // encoded here, off the event loop
    }

    /**
     * After this stage's part of a chain: the result goes to the caller's reply address, or the output on to the
     * next stage with the rest of the route. Any failure goes to the reply address: the caller is not waiting on
     * this stage's reply, which was sent when the batch arrived.
     */
    private void chained(Message<Buffer> message, io.vertx.core.AsyncResult<ChainOutput> done) {
        String replyTo = message.headers().get(StageAddress.REPLY_TO);
        String chainId = message.headers().get(StageAddress.CHAIN);
        if (done.failed()) {
            answerChain(replyTo, chainId, failureCode(StageAddress.FORWARD_CHAIN, done.cause()), Buffer.buffer(String.valueOf(done.cause().getMessage())));
            return;
        }
        if (done.result().last()) {
            answerChain(replyTo, chainId, 0, Buffer.buffer(done.result().bytes()));
            return;
        }
        java.util.List<String> route = message.headers().getAll(StageAddress.ROUTE);
        String timeoutHeader = message.headers().get(StageAddress.TIMEOUT_MS);
        long timeoutMs = timeoutHeader == null ? DEFAULT_HAND_OFF_TIMEOUT_MS : Long.parseLong(timeoutHeader);
        io.vertx.core.eventbus.DeliveryOptions options = new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(timeoutMs);
        options.addHeader(StageAddress.OP, StageAddress.FORWARD_CHAIN).addHeader(StageAddress.REPLY_TO, replyTo).addHeader(StageAddress.CHAIN, chainId)
                .addHeader(StageAddress.WIRE, message.headers().get(StageAddress.WIRE)).addHeader(StageAddress.TIMEOUT_MS, Long.toString(timeoutMs));
        route.subList(1, route.size()).forEach(address -> options.addHeader(StageAddress.ROUTE, address));
        String next = route.getFirst();
        StageRequests.request(vertx, next, Buffer.buffer(done.result().bytes()), options, System.nanoTime() + timeoutMs * 1_000_000, () -> {},
                () -> false, reply -> {
                    if (reply.failed()) {
                        answerChain(replyTo, chainId, StageAddress.UNREACHABLE, Buffer.buffer("%s of model %s could not hand its output to %s: %s"
                                .formatted(stage.describe(), stage.modelId(), next, reply.cause().getMessage())));
                    }
                });
    }

    private void answerChain(String replyTo, String chainId, int code, Buffer body) {
        try {
            vertx.eventBus().send(replyTo, body, new io.vertx.core.eventbus.DeliveryOptions().addHeader(StageAddress.CHAIN, chainId)
                    .addHeader(StageAddress.CODE, Integer.toString(code)));
        } catch (RuntimeException e) {
            // the caller is gone (it left the cluster); its own node-left or timeout ends its wait
            LOG.fine(() -> "%s of model %s: chain %s answer to %s not sent: %s".formatted(stage.describe(), stage.modelId(), chainId, replyTo, e));
        }
    }

    private StepResult forward(StepBatch batch) {
        long start = System.nanoTime();
        StepResult result = shard.forward(batch);
        busyNanos.add(System.nanoTime() - start);
        forwards.increment();
        positions.add(batch.steps().stream().mapToLong(StageService::length).sum());
        return result;
    }

    private Buffer run(String op, Message<Buffer> message) {
        String session = message.headers().get(StageAddress.SESSION);
        switch (op == null ? "" : op) {
            case StageAddress.FORWARD -> {
                return Buffer.buffer(StepCodec.encodeResult(forward(StepCodec.decodeBatch(message.body().getBytes()))));
            }
            case StageAddress.GENERATE -> startGeneration(new io.vertx.core.json.JsonObject(message.body()));
            case StageAddress.CANCEL_GENERATION -> {
                dev.baremetalrt.spi.TokenGenerator.Generation g = generations.get(session);
                if (g != null) {
                    g.cancel();
                }
            }
            case StageAddress.OPEN -> shard.openSession(session);
            case StageAddress.TRUNCATE -> shard.truncate(session, Integer.parseInt(message.headers().get(StageAddress.LENGTH)));
            case StageAddress.RELEASE -> shard.release(session);
            default -> throw new TransportException("unknown stage operation '%s' for %s".formatted(op, stage.describe()));
        }
        return Buffer.buffer();
    }

    /**
     * Starts a generation in the shard's own engine and streams its events to the caller's address: {@code {"tokens":
     * [...]}}, then one {@code {"finish": "LENGTH"}} or {@code {"error": "..."}}. Refusals (no generator, bad input)
     * fail the request itself.
     */
    private void startGeneration(io.vertx.core.json.JsonObject request) {
        dev.baremetalrt.spi.TokenGenerator generator = shard.generator().orElseThrow(() -> new BackendException(
                "%s of model %s runs forward steps, not whole generations".formatted(stage.describe(), stage.modelId())));
        String replyTo = request.getString("replyTo");
        dev.baremetalrt.spi.GenerationSpec spec = RemoteTokenGenerator.decode(request);
        dev.baremetalrt.spi.TokenGenerator.Generation g = generator.start(spec, new dev.baremetalrt.spi.TokenGenerator.Listener() {
            @Override
            public void onTokens(int[] tokens) {
                positions.add(tokens.length);
                event(replyTo, new io.vertx.core.json.JsonObject().put("tokens", new io.vertx.core.json.JsonArray(java.util.Arrays.stream(tokens).boxed().toList())));
            }

            @Override
            public void onFinished(dev.baremetalrt.spi.TokenGenerator.Finish finish) {
                generations.remove(replyTo);
                event(replyTo, new io.vertx.core.json.JsonObject().put("finish", finish.name()));
            }

            @Override
            public void onFailed(BackendException error) {
                generations.remove(replyTo);
                event(replyTo, new io.vertx.core.json.JsonObject().put("error", String.valueOf(error.getMessage())));
            }
        });
        generations.put(replyTo, g);
        forwards.increment();
    }

    /**
     * Sends a generation event from this stage's Vert.x context (the engine calls from its own thread; one context
     * keeps the events in order). Once this node is leaving there is no one to tell: the caller's liveness check
     * ends the generation.
     */
    private void event(String address, io.vertx.core.json.JsonObject event) {
        try {
            context.runOnContext(v -> {
                try {
                    vertx.eventBus().send(address, event.toBuffer());
                } catch (RuntimeException e) {
                    LOG.fine(() -> "%s of model %s: generation event to %s not sent: %s".formatted(stage.describe(), stage.modelId(), address, e));
                }
            });
        } catch (RuntimeException e) {
            LOG.fine(() -> "%s of model %s: generation event to %s not sent: %s".formatted(stage.describe(), stage.modelId(), address, e));
        }
    }

    private static long length(SessionStep step) {
        return step.tokens() != null ? step.tokens().length : step.hidden().dim(0);
    }

    public ShardPlan.Stage stage() {
        return stage;
    }

    public Counters counters() {
        return new Counters(positions.sum(), forwards.sum(), busyNanos.sum(), refusedBusy.sum());
    }

    /** Stops serving; the shard stays loaded (its owner closes it). */
    @Override
    public void close() {
        try {
            consumer.unregister().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.fine(() -> "unregistering " + stage.describe() + ": " + e);
        }
    }
}
