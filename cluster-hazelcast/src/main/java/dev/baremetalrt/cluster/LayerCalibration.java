package dev.baremetalrt.cluster;

import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.TensorPayload;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The short calibration a node runs when it offers a model: it loads the model's first decoder layer on its
 * backend (alone, no embedding or head), runs single-position decode steps for at least
 * {@value #MIN_MILLIS} ms and {@value #MIN_STEPS} steps after {@value #WARMUP} warm-up steps, and reports
 * the median as decoder layers per second. The coordinator shares layers in proportion to it. It costs one
 * layer's load plus a fraction of a second; the minimum time keeps a tiny model's microsecond steps from
 * measuring only the JIT and the timer. {@code brt node --no-calibrate} skips it (every node then counts as
 * equally fast), which is right when the nodes share one machine.
 */
final class LayerCalibration {
    static final int WARMUP = 4;
    static final int MIN_STEPS = 16;
    static final int MAX_STEPS = 4096;
    static final long MIN_MILLIS = 150;
    private static final int CONTEXT = 64;

    private LayerCalibration() {}

    /** Decoder layers per second for one decode step of {@code model} on {@code backend}. */
    static double layersPerSecond(Backend backend, Model model) {
        int dim = model.config().dim();
        SplittableRandom random = new SplittableRandom(7);
        long[] nanos = new long[MAX_STEPS];
        int measured = 0;
        long begin = System.nanoTime();
        try (Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, 1), false, false, CONTEXT))) {
            shard.openSession("calibration");
            for (int step = 0; measured < MAX_STEPS; step++) {
                if (measured >= MIN_STEPS && System.nanoTime() - begin >= MIN_MILLIS * 1_000_000) {
                    break;
                }
                int position = step % CONTEXT;
                if (position == 0 && step > 0) {
                    shard.truncate("calibration", 0);
                }
                float[] hidden = new float[dim];
                for (int i = 0; i < dim; i++) {
                    hidden[i] = (float) (random.nextGaussian() * 0.1); // about an embedding row's scale
                }
                StepBatch batch = StepBatch.of(SessionStep.ofHidden("calibration", position, TensorPayload.ofFloats(hidden, 1, dim), SessionStep.Logits.LAST));
                long start = System.nanoTime();
                shard.forward(batch);
                if (step >= WARMUP) {
                    nanos[measured++] = System.nanoTime() - start;
                }
            }
            shard.release("calibration");
        }
        long[] sorted = Arrays.copyOf(nanos, measured);
        Arrays.sort(sorted);
        return 1e9 / Math.max(1, sorted[measured / 2]);
    }
}
