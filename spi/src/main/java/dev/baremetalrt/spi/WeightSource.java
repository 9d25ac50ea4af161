package dev.baremetalrt.spi;

import java.util.Optional;

/**
 * The weights of one model as a backend sees them: hyperparameters and tensors by canonical name
 * ({@link TensorNames}). Implemented by the model readers in core; backends never parse files. Owned
 * by the caller: a backend must not close it, and must not use its tensors after its shard is closed.
 */
public interface WeightSource {
    /** Model id used in logs and errors (file or directory name unless overridden). */
    String modelId();

    /** Hyperparameters. */
    ModelConfig config();

    /** The tensor with the given canonical name, if the model has it. */
    Optional<WeightTensor> tensor(String name);

    /**
     * The tensor with the given name.
     *
     * @throws BackendException naming the model and the tensor when it is missing
     */
    default WeightTensor requireTensor(String name) {
        return tensor(name).orElseThrow(() -> new BackendException("model %s has no tensor %s".formatted(modelId(), name)));
    }

    /**
     * The tensor with the given name and shape ({@code shape[0]} = row length, as {@link WeightTensor}).
     *
     * @throws BackendException naming the model and the tensor when it is missing or has another shape
     */
    default WeightTensor requireTensor(String name, long... shape) {
        WeightTensor t = requireTensor(name);
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new BackendException("model %s: tensor %s has shape %s, expected %s"
                    .formatted(modelId(), name, java.util.Arrays.toString(t.shape()), java.util.Arrays.toString(shape)));
        }
        return t;
    }
}
