package dev.baremetalrt.core.model;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.gguf.GgufFile;
import dev.baremetalrt.core.gguf.GgufTensorInfo;
import dev.baremetalrt.core.tokenizer.Tokenizer;
import dev.baremetalrt.core.tokenizer.Tokenizers;
import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * A Llama-family model opened from a GGUF file: hyperparameters, tokenizer and memory-mapped tensors.
 * Opening checks that every tensor the decoder needs exists with the shape the hyperparameters imply, so
 * a bad file fails here with the tensor's name rather than inside a backend.
 */
public final class LlamaModel implements Model {
    private final String modelId;
    private final GgufFile gguf;
    private final ModelConfig config;
    private final Tokenizer tokenizer;

    private LlamaModel(String modelId, GgufFile gguf, ModelConfig config, Tokenizer tokenizer) {
        this.modelId = modelId;
        this.gguf = gguf;
        this.config = config;
        this.tokenizer = tokenizer;
    }

    /** Opens a model; its id is the file name without {@code .gguf}. */
    public static LlamaModel open(Path path) {
        return open(path, defaultId(path));
    }

    public static LlamaModel open(Path path, String modelId) {
        requireNonNull(modelId, "modelId is null");
        GgufFile gguf = GgufFile.open(path);
        try {
            ModelConfig config = ModelConfigs.fromGguf(gguf);
            Tokenizer tokenizer = Tokenizers.fromGguf(gguf);
            LlamaModel model = new LlamaModel(modelId, gguf, config, tokenizer);
            model.checkTensors();
            return model;
        } catch (RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    /** File name without extension. */
    public static String defaultId(Path path) {
        String name = path.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    private void checkTensors() {
        LlamaLayout.expectedShapes(config, gguf.tensors().containsKey(TensorNames.OUTPUT)).forEach(this::expect);
    }

    private void expect(String name, long... shape) {
        GgufTensorInfo t = gguf.tensors().get(name);
        if (t == null) {
            throw new ModelException("model %s (%s) has no tensor %s".formatted(modelId, gguf.path(), name));
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new ModelException("model %s (%s): tensor %s has shape %s, the hyperparameters (%s) need %s"
                    .formatted(modelId, gguf.path(), name, Arrays.toString(t.shape()), config.summary(), Arrays.toString(shape)));
        }
        if (shape.length == 1 && t.type() != WeightType.F32) {
            throw new ModelException("model %s: norm tensor %s is %s; only F32 norms are supported".formatted(modelId, name, t.type()));
        }
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public GgufFile gguf() {
        return gguf;
    }

    @Override
    public Path path() {
        return gguf.path();
    }

    @Override
    public Optional<WeightTensor> tensor(String name) {
        GgufTensorInfo info = gguf.tensors().get(name);
        if (info == null) {
            return Optional.empty();
        }
        return Optional.of(new WeightTensor(name, info.type(), info.shape(), gguf.tensorData(info)));
    }

    @Override
    public void close() {
        gguf.close();
    }

    @Override
    public String toString() {
        return "model " + modelId + " (" + config.summary() + ")";
    }
}
