package dev.baremetalrt.cluster;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.function.BooleanSupplier;

/**
 * A request to a stage that honours its back-pressure: a stage that answers {@link StageAddress#BUSY} is asked
 * again after a pause that doubles from 2 to 200 ms, until the deadline. Used by callers of stages and by
 * stages that hand hidden states to the next one.
 */
final class StageRequests {
    private static final long FIRST_BUSY_PAUSE_MS = 2;
    private static final long MAX_BUSY_PAUSE_MS = 200;

    private StageRequests() {}

    /**
     * Sends {@code body} to {@code address} and calls {@code done} with the reply or the last failure.
     *
     * @param abandoned checked before each attempt: true when the caller no longer wants the answer
     * @param onRetry   called for each pause a busy stage causes
     */
    static void request(Vertx vertx, String address, Buffer body, DeliveryOptions options, long deadlineNanos, Runnable onRetry,
                        BooleanSupplier abandoned, Handler<AsyncResult<Message<Buffer>>> done) {
        attempt(vertx, address, body, options, deadlineNanos, onRetry, abandoned, done, FIRST_BUSY_PAUSE_MS);
    }

    private static void attempt(Vertx vertx, String address, Buffer body, DeliveryOptions options, long deadlineNanos, Runnable onRetry,
                                BooleanSupplier abandoned, Handler<AsyncResult<Message<Buffer>>> done, long pauseMs) {
        if (abandoned.getAsBoolean()) {
            return;
        }
        vertx.eventBus().<Buffer>request(address, body, options).onComplete(reply -> {
            if (reply.failed() && busy(reply.cause()) && System.nanoTime() + pauseMs * 1_000_000 < deadlineNanos) {
                onRetry.run();
                vertx.setTimer(pauseMs, t -> attempt(vertx, address, body, options, deadlineNanos, onRetry, abandoned, done,
                        Math.min(MAX_BUSY_PAUSE_MS, pauseMs * 2)));
            } else {
                done.handle(reply.succeeded() ? Future.succeededFuture(reply.result()) : Future.failedFuture(reply.cause()));
            }
        });
    }

    static boolean busy(Throwable cause) {
        return cause instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE && reply.failureCode() == StageAddress.BUSY;
    }
}
