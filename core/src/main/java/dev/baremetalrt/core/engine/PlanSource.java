package dev.baremetalrt.core.engine;

import dev.baremetalrt.spi.ShardPlan;
import java.time.Duration;

/**
 * Where a {@link Pipeline} gets a new plan when a stage is lost: the cluster publishes a new epoch once it
 * has re-planned the model onto the nodes that remain.
 */
public interface PlanSource {
    /**
     * A ready plan of a later epoch than {@code epoch}.
     *
     * @throws dev.baremetalrt.spi.TransportException when none appears within {@code timeout} (for example
     *         when the remaining nodes cannot hold the model), saying why
     */
    ShardPlan awaitNewer(long epoch, Duration timeout);

    /**
     * Why the model cannot run now (for example the nodes left cannot hold it), or empty when it can or the
     * source cannot tell: a server answers 503 with this at once instead of starting a request that fails.
     */
    default java.util.Optional<String> unavailable() {
        return java.util.Optional.empty();
    }
}
