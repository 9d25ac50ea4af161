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
}
