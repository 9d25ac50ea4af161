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
 * The short calibration a node runs when it offers a model, before it joins the cluster: it loads the
 * model's first decoder layer on its backend (alone, no embedding or head), runs single-position decode
 * steps for {@value #WARMUP_MILLIS} ms (and at least {@value #WARMUP} steps) to warm up the JIT, then for
 * at least {@value #MIN_MILLIS} ms and {@value #MIN_STEPS} steps more, and reports the median as decoder
 * layers per second. The coordinator shares layers in proportion to it. It costs one layer's load plus
 * about 1.3 s. On a shared machine it varies by tens of percent (the coordinator ignores differences under
 * 20%); {@code brt node --no-calibrate} skips it, which is right when the nodes share one machine.
 */
final class LayerCalibration {
    static final int WARMUP = 4;
    static final int MIN_STEPS = 16;
    static final int MAX_STEPS = 4096;
    static final long WARMUP_MILLIS = 1000;
    static final long MIN_MILLIS = 300;
    private static final int CONTEXT = 64;

    private LayerCalibration() {}

    /** Decoder layers per second for one decode step of {@code model} on {@code backend}. */
    static double layersPerSecond(Backend backend, Model model) {
        int dim = model.config().dim();
        SplittableRandom random = new SplittableRandom(7);
        long[] nanos = new long[MAX_STEPS];
        int measured = 0;
        long begin = System.nanoTime();
        long warmedAt = -1;
        try (Shard shard = backend.load(new ShardSpec(model, new LayerRange(0, 1), false, false, CONTEXT))) {
            shard.openSession("calibration");
            for (int step = 0; measured < MAX_STEPS; step++) {
                if (warmedAt < 0 && step >= WARMUP && System.nanoTime() - begin >= WARMUP_MILLIS * 1_000_000) {
                    warmedAt = System.nanoTime(); // the JIT has had its time: measure from here
                }
                if (measured >= MIN_STEPS && warmedAt >= 0 && System.nanoTime() - warmedAt >= MIN_MILLIS * 1_000_000) {
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
                if (warmedAt >= 0) {
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
