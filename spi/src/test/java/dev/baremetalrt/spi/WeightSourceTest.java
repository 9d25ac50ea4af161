package dev.baremetalrt.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WeightSourceTest {
    private static final WeightTensor Q = new WeightTensor("blk.0.attn_q.weight", WeightType.F32, new long[] {4, 2}, MemorySegment.ofArray(new float[8]));

    private static final WeightSource SOURCE = new WeightSource() {
        @Override
        public String modelId() {
            return "m";
        }

        @Override
        public ModelConfig config() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<WeightTensor> tensor(String name) {
            return name.equals(Q.name()) ? Optional.of(Q) : Optional.empty();
        }
    };

    @Test
    void requireTensorChecksTheShapeAndNamesModelAndTensor() {
        assertSame(Q, SOURCE.requireTensor("blk.0.attn_q.weight", 4, 2));
        assertEquals("model m: tensor blk.0.attn_q.weight has shape [4, 2], expected [4, 3]",
                assertThrows(BackendException.class, () -> SOURCE.requireTensor("blk.0.attn_q.weight", 4, 3)).getMessage());
        assertEquals("model m has no tensor output.weight", assertThrows(BackendException.class, () -> SOURCE.requireTensor("output.weight", 4, 2)).getMessage());
    }
}
