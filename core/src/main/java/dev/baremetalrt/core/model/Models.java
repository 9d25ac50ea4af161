package dev.baremetalrt.core.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a model from a path: a GGUF file, or a Hugging Face directory ({@code config.json} + safetensors). */
public final class Models {
    private Models() {}

    public static Model open(Path path) {
        if (Files.isDirectory(path)) {
            return HfModel.open(path);
        }
        return LlamaModel.open(path);
    }
}
