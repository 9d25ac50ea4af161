package dev.baremetalrt.spi;

/**
 * Told how far a {@link Backend#load(ShardSpec, LoadProgress)} has got, so that a cluster can show it while a
 * large range loads. Called on the loading thread, with {@code layersDone} growing from 0 to {@code layers};
 * must return quickly.
 */
@FunctionalInterface
public interface LoadProgress {
    /** Reports nothing. */
    LoadProgress NONE = (layersDone, layers) -> {};

    /** {@code layersDone} of the spec's {@code layers} decoder layers are loaded. */
    void loaded(int layersDone, int layers);
}
