package dev.baremetalrt.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ValueTypesTest {
    @Test
    void payloadRoundTripsThroughEveryWireType() {
        float[] values = {0f, 1f, -2.5f, 3.140625f, 1024f, -0.0078125f};
        TensorPayload p = TensorPayload.ofFloats(values.clone(), 2, 3);
        for (DType d : DType.values()) {
            TensorPayload back = TensorPayload.decode(d, new int[] {2, 3}, p.encode(d));
            assertArrayEquals(values, back.toFloatArray(), 0f, "values exactly representable in " + d);
            assertEquals(values.length * d.bytes(), p.encode(d).length);
        }
        assertEquals(1.0f + 1f / 128, TensorPayload.decode(DType.BF16, new int[] {1}, TensorPayload.ofFloats(new float[] {1.0f + 1f / 128 + 1f / 1024}, 1).encode(DType.BF16)).get(0));
    }

    @Test
    void payloadShapeMustMatch() {
        assertThrows(IllegalArgumentException.class, () -> TensorPayload.ofFloats(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> TensorPayload.decode(DType.F16, new int[] {1}, new byte[3]));
    }

    @Test
    void weightTypeSizes() {
        assertEquals(34 * 4, WeightType.Q8_0.byteSize(128));
        assertEquals(18 * 4, WeightType.Q4_0.byteSize(128));
        assertEquals(256, WeightType.BF16.byteSize(128));
        assertThrows(IllegalArgumentException.class, () -> WeightType.Q4_0.byteSize(100));
        assertEquals(WeightType.BF16, WeightType.fromGgmlTypeId(30).orElseThrow());
        assertEquals(WeightType.Q8_0, WeightType.parse("q8_0"));
    }

    @Test
    void modelConfigChecksItsShape() {
        ModelConfig c = new ModelConfig("llama", 2048, 5632, 22, 32, 4, 32000, 2048, 1e-5f, 10000f, 64);
        assertEquals(64, c.headDim());
        assertEquals(256, c.kvDim());
        assertEquals(8, c.groupSize());
        assertThrows(IllegalArgumentException.class, () -> new ModelConfig("llama", 2048, 5632, 22, 32, 5, 32000, 2048, 1e-5f, 10000f, 64));
        assertThrows(IllegalArgumentException.class, () -> new ModelConfig("llama", 2000, 5632, 22, 32, 4, 32000, 2048, 1e-5f, 10000f, 64));
    }
}
