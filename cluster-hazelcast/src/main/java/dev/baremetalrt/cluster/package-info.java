/**
 * The cluster: Vert.x 5 clustered through Hazelcast. {@link dev.baremetalrt.cluster.ClusterNode} joins the
 * cluster; {@link dev.baremetalrt.cluster.StageService} serves a loaded shard on the event bus;
 * {@link dev.baremetalrt.cluster.EventBusTransport} is the {@link dev.baremetalrt.spi.Transport} that
 * reaches stages on other nodes; {@link dev.baremetalrt.cluster.StepCodec} is their binary wire format.
 *
 * <p>Contract: every request has a timeout and fails with {@link dev.baremetalrt.spi.TransportException}
 * when the stage cannot be reached or does not answer; a stage's own refusal arrives as the same
 * exception type it threw ({@link dev.baremetalrt.spi.SessionException},
 * {@link dev.baremetalrt.spi.BackendException}) with its message.
 */
package dev.baremetalrt.cluster;
