/**
 * The cluster: Vert.x 5 clustered through Hazelcast. {@link dev.baremetalrt.cluster.ClusterNode} joins the
 * cluster (plaintext, or event-bus TLS with client certificates from {@link dev.baremetalrt.cluster.ClusterTls},
 * whose files {@link dev.baremetalrt.cluster.ClusterCertificates} makes); {@link dev.baremetalrt.cluster.NodeAgent}
 * publishes what a node offers (with its {@code LayerCalibration} speed), plans on the oldest member
 * ({@code Coordinator}, refusing members that {@code MemberPings} cannot reach), and loads and serves the
 * node's stages; {@link dev.baremetalrt.cluster.StageService} serves a loaded shard on the event bus, with a
 * bounded queue (back-pressure); {@link dev.baremetalrt.cluster.EventBusTransport} is the
 * {@link dev.baremetalrt.spi.Transport} that reaches stages on other nodes, chaining a plan's stages so that
 * each hands its hidden states to the next ({@code StageRequests} carries the back-pressure of every hop);
 * {@code StepCodec} is their binary
 * wire format, hidden states in a {@link dev.baremetalrt.cluster.WireFormat} (F32, F16, BF16, Q8_0);
 * {@link dev.baremetalrt.cluster.ClusterStatus} is what {@code GET /v1/cluster} shows.
 *
 * <p>Contract: every request has a timeout and fails with {@link dev.baremetalrt.spi.TransportException}
 * when the stage cannot be reached or does not answer; a stage's own refusal arrives as the same
 * exception type it threw ({@link dev.baremetalrt.spi.SessionException},
 * {@link dev.baremetalrt.spi.BackendException}) with its message; a busy stage makes the sender pause and
 * retry within the same timeout. In a chain any stage's failure reaches the caller the same way, and a node
 * on the route leaving the cluster fails it at once. The shared cluster state lives in Hazelcast ReplicatedMaps (local reads).
 */
package dev.baremetalrt.cluster;
