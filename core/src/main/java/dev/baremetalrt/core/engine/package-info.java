/**
 * Running a model: {@link dev.baremetalrt.core.engine.Pipeline} carries step batches through the stages
 * of a {@link dev.baremetalrt.spi.ShardPlan} over a {@link dev.baremetalrt.spi.Transport};
 * {@link dev.baremetalrt.core.engine.InferenceEngine} turns a prompt into streamed text (prefill in
 * chunks, one token per decode step, sampling, stop conditions) and keeps each session's token history;
 * {@link dev.baremetalrt.core.engine.InProcessTransport} and
 * {@link dev.baremetalrt.core.engine.LocalDeployment} run every stage inside this JVM;
 * {@link dev.baremetalrt.core.engine.CapacityShardPlanner} is the default planner and
 * {@link dev.baremetalrt.core.engine.Backends} finds backends with {@link java.util.ServiceLoader}.
 */
package dev.baremetalrt.core.engine;
