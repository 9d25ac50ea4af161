package dev.baremetalrt.cluster;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.model.ModelChecksums;
import dev.baremetalrt.core.model.Models;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.PlanException;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.LoadProgress;
import dev.baremetalrt.spi.ShardSpec;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A node's part in the cluster, run every {@link #TICK_MS} ms: publish this node's inventory; on the oldest
 * member, decide each model's plan ({@link Coordinator}) and publish it with a new epoch when the
 * assignment changes; on every member, load the stages the current plans give it (from its own copy of the
 * model, memory-mapped), serve them on the event bus, report them ready, and unload the ones it lost.
 */
public final class NodeAgent implements AutoCloseable {
    static final long TICK_MS = 300;
    static final String INVENTORY = "brt.inventory";
    static final String PLANS = "brt.plans";
    static final String READY = "brt.ready";
    static final String STATS = "brt.stats";
    /** Stage being loaded (ready key) → {@code {"nodeId", "layersLoaded", "layers"}}; removed once it is ready or failed. */
    static final String PROGRESS = "brt.progress";
    private static final long PROGRESS_INTERVAL_NANOS = 250_000_000L;
    private static final Logger LOG = Logger.getLogger(NodeAgent.class.getName());

    /** A stage this node serves. */
    private record Hosted(ShardPlan.Stage stage, Shard shard, StageService service) {}

    private final ClusterNode node;
    private final BackendProvider provider;
    private final BackendOptions options;
    private final int contextCapacity;
    private final Map<String, Model> models = new LinkedHashMap<>();
    private final NodeInventory inventory;
    private final Map<String, Hosted> hosted = new HashMap<>();
    private final Set<String> refusalsLogged = new HashSet<>();
    private final AtomicBoolean ticking = new AtomicBoolean();
    private final long timer;
    /** How long the coordinator waits for a new member's inventory before planning without it. */
    static final long INVENTORY_GRACE_MS = 2000;
    private final MemberPings pings;
    private final Map<String, Long> firstSeen = new HashMap<>();
    private final RecentRate throughput = new RecentRate(java.time.Duration.ofSeconds(10));
    private long retiredPositions;
    private long retiredForwards;
    private long publishedPositions = -1;
    private Backend backend;
    private volatile boolean closed;

    /**
     * @param freeMemoryBytes memory this node gives stages (planning input)
     * @param modelFiles      model files (GGUF or HF directories) this node offers
     * @param layersPerSecond this node's measured speed per model file ({@link #calibrate}); a file without
     *                        one counts as fast as the fastest node
     */
    public NodeAgent(ClusterNode node, BackendProvider provider, BackendOptions options, long freeMemoryBytes, List<Path> modelFiles, int contextCapacity,
                     Map<Path, Double> layersPerSecond) {
        this.node = requireNonNull(node, "node is null");
        this.provider = requireNonNull(provider, "provider is null");
        this.options = requireNonNull(options, "options is null");
        this.contextCapacity = contextCapacity;
        List<NodeInventory.ModelOffer> offers = new ArrayList<>();
        for (Path file : modelFiles) {
            Model model = Models.open(file);
            models.put(model.modelId(), model);
            long layerBytes = 0;
            for (int l = 0; l < model.config().layerCount(); l++) {
                layerBytes = Math.max(layerBytes, model.layerWeightBytes(l));
            }
            double speed = layersPerSecond.getOrDefault(file, 0.0);
            offers.add(new NodeInventory.ModelOffer(model.modelId(), file.toAbsolutePath().toString(), ModelChecksums.of(model),
                    model.config().layerCount(), layerBytes, model.headWeightBytes(), speed));
        }
        var probe = provider.probe();
        List<String> devices = probe.devices().stream().map(d -> d.id() + ": " + d.description()).toList();
        this.inventory = new NodeInventory(node.nodeId(), provider.id(), probe.detail(), devices, freeMemoryBytes, offers, runsWholeModels(provider, options));
        this.pings = MemberPings.start(node);
        node.map(INVENTORY).put(node.nodeId(), inventory.toJson().encode());
        this.timer = node.vertx().setPeriodic(TICK_MS, id -> {
            if (!closed && ticking.compareAndSet(false, true)) {
                node.vertx().executeBlocking(() -> {
                    tick();
                    return null;
                }, false).onComplete(done -> {
                    ticking.set(false);
                    if (done.failed() && !closed) {
                        LOG.log(Level.WARNING, "node %s: %s".formatted(node.nodeId(), done.cause().getMessage()), done.cause());
                    }
                });
            }
        });
    }

    /** Whether the backend takes whole models only (its shards generate by themselves): asked once, by opening it. */
    private static boolean runsWholeModels(BackendProvider provider, BackendOptions options) {
        try (Backend backend = provider.open(options)) {
            return !backend.capabilities().layerRanges();
        } catch (RuntimeException e) {
            LOG.warning(() -> "backend %s did not open to say what it runs (%s); offering layer ranges".formatted(provider.id(), e.getMessage()));
            return false;
        }
    }

    /**
     * Measures this machine's decode speed on each model ({@link LayerCalibration}). Run it before joining:
     * a join sets Hazelcast migrating partitions, which would be measured too. Skip it when the nodes share
     * one machine, where they would only measure each other.
     */
    public static Map<Path, Double> calibrate(BackendProvider provider, BackendOptions options, List<Path> modelFiles) {
        Map<Path, Double> speeds = new LinkedHashMap<>();
        if (modelFiles.isEmpty()) {
            return speeds;
        }
        try (Backend backend = provider.open(options)) {
            if (!backend.capabilities().layerRanges()) {
                LOG.info(() -> "%s runs whole models: no layer calibration".formatted(provider.id()));
                return speeds;
            }
            for (Path file : modelFiles) {
                try (Model model = Models.open(file)) {
                    double speed = LayerCalibration.layersPerSecond(backend, model);
                    speeds.put(file, speed);
                    LOG.info(() -> "%s runs %.0f decoder layers/s on %s (calibration)".formatted(model.modelId(), speed, provider.id()));
                }
            }
        }
        return speeds;
    }

    public NodeInventory inventory() {
        return inventory;
    }

    private void tick() {
        if (node.isCoordinator()) {
            coordinate();
        }
        reconcile();
        publishThroughput();
    }

    /** This node's stage counters and its recent rate, for the cluster status; published when they change. */
    private void publishThroughput() {
        long positions = 0;
        long forwards = 0;
        long busyNanos = 0;
        long refusedBusy = 0;
        for (Hosted h : hosted.values()) {
            StageService.Counters c = h.service().counters();
            positions += c.positions();
            forwards += c.forwards();
            busyNanos += c.busyNanos();
            refusedBusy += c.refusedBusy();
        }
        positions += retiredPositions;
        forwards += retiredForwards;
        throughput.add(System.nanoTime(), positions);
        if (positions != publishedPositions || throughput.changedSincePublished()) {
            publishedPositions = positions;
            node.map(STATS).put(node.nodeId(), new JsonObject().put("positions", positions).put("forwards", forwards)
                    .put("busyMillis", busyNanos / 1_000_000).put("refusedBusy", refusedBusy)
                    .put("positionsPerSecond", Math.round(throughput.perSecond() * 10) / 10.0).encode());
            throughput.published();
        }
    }

    /** The oldest member: one plan per offered model over the live members' inventories. */
    private void coordinate() {
        Map<String, String> inventories = node.map(INVENTORY);
        Map<String, String> plans = node.map(PLANS);
        List<NodeInventory> live = new ArrayList<>();
        Set<String> modelIds = new HashSet<>();
        List<String> members = node.members();
        long now = System.currentTimeMillis();
        members.forEach(m -> firstSeen.putIfAbsent(m, now));
        firstSeen.keySet().retainAll(members);
        if (members.stream().anyMatch(m -> !inventories.containsKey(m) && now - firstSeen.get(m) < INVENTORY_GRACE_MS)) {
            // a member that just joined: its inventory is on its way (a client that holds nothing never sends one)
            return;
        }
        pings.check(members.stream().filter(inventories::containsKey).toList());
        if (pings.firstAnswerPending()) {
            return; // a new member: plan once its reachability is known instead of twice
        }
        Map<String, String> unreachable = pings.unreachable();
        for (String member : members) {
            String json = inventories.get(member);
            if (json != null && (pings.reachable(member) || unreachable.containsKey(member))) { // not planned before its first answer
                NodeInventory inv = NodeInventory.fromJson(new JsonObject(json));
                live.add(inv);
                inv.models().forEach(m -> modelIds.add(m.modelId()));
            }
        }
        for (String modelId : modelIds) {
            String currentJson = plans.get(modelId);
            JsonObject current = currentJson == null ? null : new JsonObject(currentJson);
            ShardPlan currentPlan = current == null || !current.containsKey("stages") ? null : PlanCodec.plan(current);
            long epoch = current == null ? 1 : current.getLong("epoch") + 1;
            Coordinator.Decision decision;
            try {
                decision = Coordinator.decide(modelId, live, unreachable, epoch);
            } catch (PlanException e) {
                // published instead of a plan: serving nodes fail fast with this message until capacity returns
                String error = new JsonObject().put("modelId", modelId).put("epoch", epoch).put("error", e.getMessage()).encode();
                if (current == null || !e.getMessage().equals(current.getString("error"))) {
                    plans.put(modelId, error);
                    LOG.warning(() -> "cluster %s: %s".formatted(node.clusterName(), e.getMessage()));
                }
                continue;
            }
            JsonObject refused = new JsonObject(new LinkedHashMap<>(decision.refused()));
            if (decision.plan() == null) {
                plans.remove(modelId);
            } else if (!Coordinator.sameAssignment(currentPlan, decision.plan()) || !Objects.equals(refused, current.getJsonObject("refused"))) {
                ShardPlan plan = Coordinator.sameAssignment(currentPlan, decision.plan()) ? currentPlan : decision.plan();
                plans.put(modelId, PlanCodec.toJson(plan, decision.checksum()).put("refused", refused).put("wholeModel", decision.wholeModel()).encode());
                LOG.info(() -> "cluster %s: plan for %s: %s".formatted(node.clusterName(), modelId, plan.describe()));
            }
        }
        for (String modelId : new ArrayList<>(plans.keySet())) {
            if (!modelIds.contains(modelId)) {
                plans.remove(modelId);
            }
        }
    }

    /** Loads and serves this node's stages of the current plans; unloads the rest. */
    private void reconcile() {
        Map<String, String> plans = node.map(PLANS);
        Map<String, ShardPlan.Stage> wanted = new HashMap<>();
        Map<String, Long> epochs = new HashMap<>();
        for (String json : plans.values()) {
            JsonObject plan = new JsonObject(json);
            if (!plan.containsKey("stages")) {
                continue; // an error instead of a plan
            }
            String why = plan.getJsonObject("refused", new JsonObject()).getString(node.nodeId());
            if (why != null && refusalsLogged.add(plan.getString("modelId") + why)) {
                LOG.warning(() -> "node %s: %s".formatted(node.nodeId(), why));
            }
            ShardPlan parsed = PlanCodec.plan(plan);
            for (ShardPlan.Stage stage : parsed.stages()) {
                if (stage.node().equals(node.nodeId())) {
                    wanted.put(key(stage), stage);
                    epochs.put(key(stage), parsed.epoch());
                }
            }
        }
        for (String k : new ArrayList<>(hosted.keySet())) {
            if (!wanted.containsKey(k)) {
                Hosted h = hosted.remove(k);
                retiredPositions += h.service().counters().positions();
                retiredForwards += h.service().counters().forwards();
                h.service().close();
                h.shard().close();
                LOG.info(() -> "node %s: unloaded %s of %s".formatted(node.nodeId(), h.stage().describe(), h.stage().modelId()));
            }
        }
        Map<String, String> ready = node.map(READY);
        for (Map.Entry<String, ShardPlan.Stage> e : wanted.entrySet()) {
            ShardPlan.Stage stage = e.getValue();
            if (!hosted.containsKey(e.getKey())) {
                Model model = models.get(stage.modelId());
                if (backend == null) {
                    backend = provider.open(options);
                }
                long start = System.nanoTime();
                String loadingKey = readyKey(stage.modelId(), epochs.get(e.getKey()), stage.index());
                Map<String, String> progress = node.map(PROGRESS);
                try {
                    Shard shard = backend.load(new ShardSpec(model, stage.layers(), stage.embedding(), stage.head(), Math.min(contextCapacity, model.config().contextLength())),
                            publishedProgress(progress, loadingKey, stage.layers().size()));
                    hosted.put(e.getKey(), new Hosted(stage, shard, StageService.start(node.vertx(), stage, shard)));
                } finally {
                    progress.remove(loadingKey);
                }
                LOG.info(() -> "node %s: serving %s of %s (loaded in %d ms)".formatted(node.nodeId(), stage.describe(), stage.modelId(), (System.nanoTime() - start) / 1_000_000));
            }
            String readyKey = readyKey(stage.modelId(), epochs.get(e.getKey()), stage.index());
            if (!node.nodeId().equals(ready.get(readyKey))) { // a replicated put goes to every member: only when it changes
                ready.put(readyKey, node.nodeId());
            }
        }
    }

    /**
     * Publishes how many layers of a stage are loaded, at the start and then at most every 250 ms (a replicated
     * put reaches every member), so that {@code brt cluster status} shows a large range coming in.
     */
    private LoadProgress publishedProgress(Map<String, String> progress, String key, int layers) {
        long[] last = {System.nanoTime()};
        progress.put(key, progressJson(0, layers));
        return (done, total) -> {
            long now = System.nanoTime();
            if (now - last[0] >= PROGRESS_INTERVAL_NANOS || done == total) {
                last[0] = now;
                progress.put(key, progressJson(done, total));
            }
        };
    }

    private String progressJson(int done, int layers) {
        return new JsonObject().put("nodeId", node.nodeId()).put("layersLoaded", done).put("layers", layers).encode();
    }

    private static String key(ShardPlan.Stage stage) {
        return "%s/%d/%s/%s/%b/%b".formatted(stage.modelId(), stage.index(), stage.node(), stage.layers(), stage.embedding(), stage.head());
    }

    static String readyKey(String modelId, long epoch, int stageIndex) {
        return modelId + "#" + epoch + "#" + stageIndex;
    }

    /** Stops serving, unloads every stage and withdraws the inventory (the node stays in the cluster). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        node.vertx().cancelTimer(timer);
        while (ticking.get()) {
            Thread.onSpinWait();
        }
        pings.close();
        try {
            node.map(INVENTORY).remove(node.nodeId());
            node.map(STATS).remove(node.nodeId());
        } catch (RuntimeException e) {
            LOG.fine(() -> "withdrawing the inventory: " + e);
        }
        for (Hosted h : hosted.values()) {
            h.service().close();
            h.shard().close();
        }
        hosted.clear();
        if (backend != null) {
            backend.close();
        }
        models.values().forEach(Model::close);
    }
}
