package dev.baremetalrt.cluster;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.EngineLostException;
import dev.baremetalrt.spi.GenerationSpec;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.TokenGenerator;
import dev.baremetalrt.spi.TransportException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A whole-model engine on another node (its stage is the model's only one), reached over the event bus: a
 * {@code generate} request starts the generation there; its tokens and its end come back to an address of this
 * node's, one JSON message each, in order. If the engine's node leaves the cluster mid-generation, or sends nothing
 * for the request timeout, the listener fails with an {@link EngineLostException} naming the node: the caller
 * (core's GeneratorRun) continues the generation from its tokens on the model's next engine or layer stages.
 */
final class RemoteTokenGenerator implements TokenGenerator {
    private static final long LIVENESS_MS = 250;

    private final ClusterNode node;
    private final ShardPlan.Stage stage;
    private final Duration timeout;

    RemoteTokenGenerator(ClusterNode node, ShardPlan.Stage stage, Duration timeout) {
        this.node = node;
        this.stage = stage;
        this.timeout = timeout;
    }

    ShardPlan.Stage stage() {
        return stage;
    }

    @Override
    public Generation start(GenerationSpec spec, Listener listener) {
        String events = "brt.generation/%s/%s".formatted(node.nodeId(), UUID.randomUUID());
        AtomicBoolean ended = new AtomicBoolean();
        MessageConsumer<Buffer> consumer = node.vertx().eventBus().consumer(events); // clustered: the engine's node sends to it
        long[] lastEvent = {System.nanoTime()};
        long[] watch = new long[1];
        Runnable stop = () -> {
            node.vertx().cancelTimer(watch[0]);
            consumer.unregister();
        };
        consumer.handler(message -> {
            if (ended.get()) {
                return;
            }
            lastEvent[0] = System.nanoTime();
            JsonObject event = new JsonObject(message.body());
            try {
                if (event.containsKey("tokens")) {
                    JsonArray tokens = event.getJsonArray("tokens");
                    int[] ids = new int[tokens.size()];
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = tokens.getInteger(i);
                    }
                    listener.onTokens(ids);
                } else if (event.containsKey("finish") && ended.compareAndSet(false, true)) {
                    stop.run();
                    listener.onFinished(Finish.valueOf(event.getString("finish")));
                } else if (event.containsKey("error") && ended.compareAndSet(false, true)) {
                    stop.run();
                    listener.onFailed(new BackendException(event.getString("error")));
                }
            } catch (RuntimeException e) {
                if (ended.compareAndSet(false, true)) {
                    stop.run();
                    listener.onFailed(new BackendException("request %s: bad event from node %s: %s".formatted(spec.requestId(), stage.node(), e.getMessage())));
                }
            }
        });
        watch[0] = node.vertx().setPeriodic(LIVENESS_MS, id -> {
            if (!node.members().contains(stage.node()) && ended.compareAndSet(false, true)) {
                stop.run();
                listener.onFailed(new EngineLostException("request %s: node %s, which runs model %s whole, left the cluster mid-generation"
                        .formatted(spec.requestId(), stage.node(), stage.modelId())));
            } else if (System.nanoTime() - lastEvent[0] > timeout.toNanos() && ended.compareAndSet(false, true)) {
                stop.run(); // a hung engine or a lost message: never a hung request
                listener.onFailed(new EngineLostException("request %s: nothing from node %s's engine for %d s".formatted(spec.requestId(), stage.node(), timeout.toSeconds())));
            }
        });
        try {
            consumer.completion().toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            node.vertx().eventBus().request(StageAddress.of(stage), encode(spec).put("replyTo", events).toBuffer(),
                    new DeliveryOptions().addHeader(StageAddress.OP, StageAddress.GENERATE).setSendTimeout(timeout.toMillis()))
                    .toCompletionStage().toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            ended.set(true);
            stop.run();
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            String why = cause instanceof io.vertx.core.eventbus.ReplyException r ? r.getMessage() : String.valueOf(cause);
            if (cause instanceof io.vertx.core.eventbus.ReplyException r && r.failureCode() == StageAddress.BACKEND_REFUSED) {
                throw new BackendException("node %s refused request %s: %s".formatted(stage.node(), spec.requestId(), why));
            }
            throw new TransportException("request %s: cannot reach the engine of model %s on node %s: %s".formatted(spec.requestId(), stage.modelId(), stage.node(), why));
        }
        return () -> {
            if (!ended.get()) {
                node.vertx().eventBus().send(StageAddress.of(stage), Buffer.buffer(),
                        new DeliveryOptions().addHeader(StageAddress.OP, StageAddress.CANCEL_GENERATION).addHeader(StageAddress.SESSION, events));
            }
        };
    }

    static JsonObject encode(GenerationSpec spec) {
        JsonArray stops = new JsonArray();
        spec.stopSequences().forEach(s -> stops.add(new JsonArray(java.util.Arrays.stream(s).boxed().toList())));
        JsonObject json = new JsonObject().put("requestId", spec.requestId())
                .put("prompt", new JsonArray(java.util.Arrays.stream(spec.promptTokens()).boxed().toList())).put("maxTokens", spec.maxTokens())
                .put("temperature", spec.temperature()).put("topK", spec.topK()).put("topP", spec.topP()).put("minP", spec.minP())
                .put("repetitionPenalty", spec.repetitionPenalty()).put("presencePenalty", spec.presencePenalty()).put("frequencyPenalty", spec.frequencyPenalty())
                .put("endIds", new JsonArray(java.util.Arrays.stream(spec.endTokenIds()).boxed().toList())).put("stops", stops);
        spec.seed().ifPresent(seed -> json.put("seed", seed));
        return json;
    }

    /** @throws TransportException when a field is missing or of the wrong type */
    static GenerationSpec decode(JsonObject json) {
        try {
            List<int[]> stops = new ArrayList<>();
            for (Object s : json.getJsonArray("stops", new JsonArray())) {
                stops.add(ints((JsonArray) s));
            }
            return new GenerationSpec(json.getString("requestId"), ints(json.getJsonArray("prompt")), json.getInteger("maxTokens"),
                    json.getFloat("temperature"), json.getInteger("topK"), json.getFloat("topP"), json.getFloat("minP"), json.getFloat("repetitionPenalty"),
                    json.getFloat("presencePenalty"), json.getFloat("frequencyPenalty"),
                    json.containsKey("seed") ? OptionalLong.of(json.getLong("seed")) : OptionalLong.empty(), ints(json.getJsonArray("endIds")), stops);
        } catch (RuntimeException e) {
            throw new TransportException("malformed generation request: " + e.getMessage());
        }
    }

    private static int[] ints(JsonArray array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.getInteger(i);
        }
        return out;
    }
}
