package dev.baremetalrt.conformance;

import dev.baremetalrt.core.engine.InProcessTransport;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.Transport;
import java.time.Duration;

/** Core's in-process transport against the transport rules (T5 does not apply: calls run in the caller's thread). */
class InProcessTransportConformanceTest extends TransportConformanceTest {
    private final InProcessTransport transport = new InProcessTransport();

    @Override
    protected Transport transport() {
        return transport;
    }

    @Override
    protected ShardPlan.Stage serve(String modelId, Shard shard) {
        ShardPlan.Stage stage = new ShardPlan.Stage(modelId, 0, "local", "fake", new LayerRange(0, 1), false, false);
        transport.bind(stage, shard);
        return stage;
    }

    @Override
    protected void lose(ShardPlan.Stage stage) {
        transport.unbind(stage);
    }

    @Override
    protected Duration timeout() {
        return null;
    }
}
