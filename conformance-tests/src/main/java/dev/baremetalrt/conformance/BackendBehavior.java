package dev.baremetalrt.conformance;

/**
 * What a backend declares it does, for {@link BackendReferenceTest#hasBehavior}. A behaviour a backend does
 * not have is still tested: the suite checks that the backend refuses it with the documented exception.
 */
public enum BackendBehavior {
    /**
     * Loads any contiguous layer range, with or without the embedding and the head (what a cluster stage
     * needs). Without it (a whole-model engine such as TensorRT-LLM), the suite runs every rule on one
     * whole-model stage and checks that loading part of a model fails with a {@code BackendException}
     * naming the layer range. Default: {@code capabilities().layerRanges()}.
     */
    LAYER_RANGES
}
