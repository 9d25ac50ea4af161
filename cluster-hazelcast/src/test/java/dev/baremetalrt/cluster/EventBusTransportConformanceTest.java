package dev.baremetalrt.cluster;

import dev.baremetalrt.conformance.TransportConformanceTest;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.Transport;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The event-bus transport against the transport rules: calls from one cluster member to stages served on another, over TCP. */
class EventBusTransportConformanceTest extends TransportConformanceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private ClusterNode caller;
    private ClusterNode server;
    private EventBusTransport transport;
    private final Map<ShardPlan.Stage, StageService> services = new ConcurrentHashMap<>();

    @BeforeAll
    void startTwoMembers() {
        int[] ports = LoopbackPorts.free(2);
        List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]);
        String name = "brt-transport-rules-" + ProcessHandle.current().pid();
        caller = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[0], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
        server = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[1], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
        transport = new EventBusTransport(caller, TIMEOUT, WireFormat.F32);
    }

    @AfterAll
    void stop() {
        services.values().forEach(StageService::close);
        if (server != null) {
            server.close();
        }
        if (caller != null) {
            caller.close();
        }
    }

    @Override
    protected Transport transport() {
        return transport;
    }

    @Override
    protected ShardPlan.Stage serve(String modelId, Shard shard) {
        ShardPlan.Stage stage = new ShardPlan.Stage(modelId, 0, server.nodeId(), "fake", new LayerRange(0, 1), false, false);
        services.put(stage, StageService.start(server.vertx(), stage, shard));
        return stage;
    }

    @Override
    protected void lose(ShardPlan.Stage stage) {
        services.remove(stage).close();
    }

    @Override
    protected Duration timeout() {
        return TIMEOUT;
    }
}
