/**
 * The contracts of BareMetalRT: what a backend implements, how a model is split into stages and how
 * activations travel between them. This package has no dependencies beyond the JDK.
 *
 * <ul>
 *   <li>{@link dev.baremetalrt.spi.BackendProvider} / {@link dev.baremetalrt.spi.Backend} /
 *       {@link dev.baremetalrt.spi.Shard}: a backend is found with {@link java.util.ServiceLoader},
 *       says in {@code probe()} whether it can run here, and loads shards (contiguous layer ranges)
 *       that run {@code forward} on batches of session steps and keep a KV cache per session.</li>
 *   <li>{@link dev.baremetalrt.spi.ShardPlan} / {@link dev.baremetalrt.spi.ShardPlanner}: an immutable,
 *       validated assignment of layers {@code [0, L)} to stages.</li>
 *   <li>{@link dev.baremetalrt.spi.Transport}: carries step batches to the stage that owns a layer
 *       range, or through consecutive stages ({@code forwardThrough}), and session control messages
 *       (open, truncate, release).</li>
 * </ul>
 *
 * <p>Values are immutable; every public constructor checks its arguments and names the bad one.
 * Tensor names and layouts follow GGUF (see {@link dev.baremetalrt.spi.TensorNames}).
 */
package dev.baremetalrt.spi;
