package dev.baremetalrt.cluster;

import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.TensorPayload;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Per-hop cost of the event-bus transport between two cluster members on loopback (two Hazelcast members
 * in one JVM: the event bus still crosses TCP). The far stage is an {@link EchoShard}, which returns the
 * hidden states it gets, so only encoding, the wire and decoding are timed:
 * <pre>java $BRT_FLAGS -cp server-helidon/target/brt.jar dev.baremetalrt.cluster.TransportBenchmark</pre>
 */
public final class TransportBenchmark {
    private TransportBenchmark() {}

    /** A stage that answers every step with its own input: for timing the transport alone. */
    static class EchoShard implements Shard {
        private final ShardSpec spec;

        EchoShard(ShardSpec spec) {
            this.spec = spec;
        }

        @Override
        public ShardSpec spec() {
            return spec;
        }

        @Override
        public void openSession(String sessionId) {}

        @Override
        public StepResult forward(StepBatch batch) {
            return new StepResult(batch.steps().stream().map(s -> new StepResult.Output(s.sessionId(), s.hidden())).toList());
        }

        @Override
        public void truncate(String sessionId, int length) {}

        @Override
        public void release(String sessionId) {}

        @Override
        public int sessionLength(String sessionId) {
            return 0;
        }

        @Override
        public void close() {}
    }

    public static void main(String[] args) {
        int[] ports = {24_701, 24_702};
        List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]);
        String name = "brt-transport-bench-" + ProcessHandle.current().pid();
        try (ClusterNode a = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[0], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)));
             ClusterNode b = ClusterNode.join(new ClusterOptions(name, "127.0.0.1", ports[1], members, false, Duration.ofSeconds(1), Duration.ofSeconds(5)))) {
            ShardPlan.Stage stage = new ShardPlan.Stage("echo", 1, b.nodeId(), "echo", new LayerRange(0, 1), false, false);
            try (StageService service = StageService.start(b.vertx(), stage, new EchoShard(null))) {
                System.out.printf("%-32s %6s %12s %10s %10s%n", "payload", "dtype", "wire bytes", "p50 ms", "p99 ms");
                for (int[] shape : new int[][] {{1, 4096}, {1, 2048}, {1, 8192}, {512, 8192}}) {
                    for (WireFormat dtype : WireFormat.values()) {
                        EventBusTransport transport = new EventBusTransport(a, Duration.ofSeconds(60), dtype);
                        int repeats = shape[0] == 1 ? 2000 : 30;
                        double[] ms = measure(transport, stage, shape, repeats);
                        long bytes = transport.bytesSent() / (repeats + repeats / 10);
                        String what = shape[0] == 1 ? "hidden state of dim %d (1 token)".formatted(shape[1]) : "%d x %d activation".formatted(shape[0], shape[1]);
                        System.out.printf("%-32s %6s %12d %10.3f %10.3f%n", what, dtype, bytes, ms[0], ms[1]);
                    }
                }
            }
        }
        encodingTimes();
    }

    /** Encoding and decoding alone, without the bus: median of 15 over a 512 x 8192 activation, per format. */
    private static void encodingTimes() {
        SplittableRandom random = new SplittableRandom(3);
        float[] values = new float[512 * 8192];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        TensorPayload tensor = TensorPayload.ofFloats(values, 512, 8192);
        System.out.printf("%n%-32s %6s %12s %12s%n", "512 x 8192 activation, no bus", "dtype", "encode ms", "decode ms");
        for (WireFormat format : WireFormat.values()) {
            double[] encode = new double[15];
            double[] decode = new double[15];
            for (int k = 0; k < encode.length; k++) {
                long start = System.nanoTime();
                byte[] bytes = format.encode(tensor);
                encode[k] = (System.nanoTime() - start) / 1e6;
                start = System.nanoTime();
                format.decode(new int[] {512, 8192}, bytes);
                decode[k] = (System.nanoTime() - start) / 1e6;
            }
            java.util.Arrays.sort(encode);
            java.util.Arrays.sort(decode);
            System.out.printf("%-32s %6s %12.1f %12.1f%n", "", format, encode[7], decode[7]);
        }
    }

    /** p50 and p99 of request/reply round trips, after a tenth as many warm-ups. */
    private static double[] measure(EventBusTransport transport, ShardPlan.Stage stage, int[] shape, int repeats) {
        SplittableRandom random = new SplittableRandom(1);
        float[] values = new float[shape[0] * shape[1]];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        StepBatch batch = StepBatch.of(SessionStep.ofHidden("bench", 0, TensorPayload.ofFloats(values, shape), SessionStep.Logits.LAST));
        double[] times = new double[repeats];
        for (int r = -repeats / 10; r < repeats; r++) {
            long start = System.nanoTime();
            transport.forward(stage, batch).join();
            if (r >= 0) {
                times[r] = (System.nanoTime() - start) / 1e6;
            }
        }
        Arrays.sort(times);
        return new double[] {times[repeats / 2], times[Math.min(repeats - 1, (int) (repeats * 0.99))]};
    }
}
