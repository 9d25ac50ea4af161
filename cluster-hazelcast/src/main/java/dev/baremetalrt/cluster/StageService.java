package dev.baremetalrt.cluster;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.TransportException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves one loaded shard on the event bus at {@link StageAddress#of}. Requests run on a worker thread
 * (a forward blocks for the whole layer range); the shard's own refusals go back as reply failures with
 * their message, so the caller rethrows the same exception type.
 */
public final class StageService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StageService.class.getName());

    private final Vertx vertx;
    private final ShardPlan.Stage stage;
    private final Shard shard;
    private final MessageConsumer<Buffer> consumer;

    private StageService(Vertx vertx, ShardPlan.Stage stage, Shard shard) {
        this.vertx = vertx;
        this.stage = stage;
        this.shard = shard;
        this.consumer = vertx.eventBus().consumer(StageAddress.of(stage), this::handle);
    }

    /** Starts serving {@code shard} as {@code stage}; returns once the address is registered cluster-wide. */
    public static StageService start(Vertx vertx, ShardPlan.Stage stage, Shard shard) {
        StageService service = new StageService(requireNonNull(vertx, "vertx is null"), requireNonNull(stage, "stage is null"), requireNonNull(shard, "shard is null"));
        try {
            service.consumer.completion().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new TransportException("could not register %s of model %s on the event bus: %s".formatted(stage.describe(), stage.modelId(), e));
        }
        return service;
    }

    private void handle(Message<Buffer> message) {
        String op = message.headers().get(StageAddress.OP);
        // unordered: sessions of different callers may run while one forward blocks (shards serialise what they must)
        vertx.executeBlocking(() -> run(op, message), false).onComplete(done -> {
            if (done.succeeded()) {
                message.reply(done.result());
            } else {
                Throwable e = done.cause();
                int code = e instanceof SessionException ? StageAddress.SESSION_REFUSED
                        : e instanceof BackendException ? StageAddress.BACKEND_REFUSED
                        : e instanceof TransportException ? StageAddress.BAD_REQUEST : StageAddress.FAILED;
                if (code == StageAddress.FAILED) {
                    LOG.log(Level.WARNING, "%s of model %s failed on %s".formatted(stage.describe(), stage.modelId(), op), e);
                }
                message.fail(code, String.valueOf(e.getMessage()));
            }
        });
    }

    private Buffer run(String op, Message<Buffer> message) {
        String session = message.headers().get(StageAddress.SESSION);
        switch (op == null ? "" : op) {
            case StageAddress.FORWARD -> {
                return Buffer.buffer(StepCodec.encodeResult(shard.forward(StepCodec.decodeBatch(message.body().getBytes()))));
            }
            case StageAddress.OPEN -> shard.openSession(session);
            case StageAddress.TRUNCATE -> shard.truncate(session, Integer.parseInt(message.headers().get(StageAddress.LENGTH)));
            case StageAddress.RELEASE -> shard.release(session);
            default -> throw new TransportException("unknown stage operation '%s' for %s".formatted(op, stage.describe()));
        }
        return Buffer.buffer();
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
