package dev.baremetalrt.core.model;

import dev.baremetalrt.core.tokenizer.Tokenizer;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightSource;
import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A model opened from disk, whatever its format: weights by canonical name, hyperparameters, tokenizer.
 * Owns its mappings: close it after the shards that read it.
 */
public interface Model extends WeightSource, AutoCloseable {
    Tokenizer tokenizer();

    /** The file or directory it was opened from. */
    Path path();

    @Override
    void close();

    /** Bytes of weights one decoder layer reads per token. */
    default long layerWeightBytes(int layer) {
        long sum = 0;
        for (String n : TensorNames.layerTensors(layer)) {
            sum += requireTensor(n).data().byteSize();
        }
        return sum;
    }

    /** Bytes of the output head (the embedding when tied) plus the final norm. */
    default long headWeightBytes() {
        WeightTensor out = tensor(TensorNames.OUTPUT).orElseGet(() -> requireTensor(TensorNames.TOKEN_EMBEDDING));
        return out.data().byteSize() + requireTensor(TensorNames.OUTPUT_NORM).data().byteSize();
    }

    /** The weight type most of the layer matrices use (for summaries). */
    default WeightType dominantType() {
        Map<WeightType, Long> bytes = new HashMap<>();
        for (int l = 0; l < config().layerCount(); l++) {
            for (String n : new String[] {TensorNames.attnQ(l), TensorNames.ffnGate(l), TensorNames.ffnDown(l)}) {
                WeightTensor t = requireTensor(n);
                bytes.merge(t.type(), t.data().byteSize(), Long::sum);
            }
        }
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(WeightType.F32);
    }
}
