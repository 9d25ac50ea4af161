package dev.baremetalrt.core.model;

import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.TensorNames;
import java.util.LinkedHashMap;
import java.util.Map;

/** The tensors a Llama decoder needs and their shapes (ggml order), whatever the file format. */
final class LlamaLayout {
    private LlamaLayout() {}

    /** Canonical name to expected shape; {@code output.weight} only when the head is not tied. */
    static Map<String, long[]> expectedShapes(ModelConfig c, boolean separateHead) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put(TensorNames.TOKEN_EMBEDDING, new long[] {c.dim(), c.vocabSize()});
        shapes.put(TensorNames.OUTPUT_NORM, new long[] {c.dim()});
        if (separateHead) {
            shapes.put(TensorNames.OUTPUT, new long[] {c.dim(), c.vocabSize()});
        }
        for (int l = 0; l < c.layerCount(); l++) {
            shapes.put(TensorNames.attnNorm(l), new long[] {c.dim()});
            shapes.put(TensorNames.attnQ(l), new long[] {c.dim(), c.dim()});
            shapes.put(TensorNames.attnK(l), new long[] {c.dim(), c.kvDim()});
            shapes.put(TensorNames.attnV(l), new long[] {c.dim(), c.kvDim()});
            shapes.put(TensorNames.attnOutput(l), new long[] {c.dim(), c.dim()});
            shapes.put(TensorNames.ffnNorm(l), new long[] {c.dim()});
            shapes.put(TensorNames.ffnGate(l), new long[] {c.dim(), c.ffnDim()});
            shapes.put(TensorNames.ffnUp(l), new long[] {c.dim(), c.ffnDim()});
            shapes.put(TensorNames.ffnDown(l), new long[] {c.ffnDim(), c.dim()});
        }
        return shapes;
    }
}
