package dev.baremetalrt.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.TensorPayload;
import dev.baremetalrt.spi.TransportException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StepCodecTest {
    private static TensorPayload random(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 3);
        }
        return TensorPayload.ofFloats(v, rows, cols);
    }

    private static StepBatch batch() {
        return new StepBatch(List.of(
                SessionStep.ofTokens("chat-1", 0, new int[] {1, 403, 407, 31999}, SessionStep.Logits.ALL),
                SessionStep.ofHidden("séance-2", 17, random(3, 64, 1), SessionStep.Logits.LAST)));
    }

    @Test
    void batchesRoundTripExactlyInF32() {
        StepBatch decoded = StepCodec.decodeBatch(StepCodec.encodeBatch(batch(), WireFormat.F32));
        assertEquals(2, decoded.steps().size());
        SessionStep tokens = decoded.steps().get(0);
        assertEquals("chat-1", tokens.sessionId());
        assertArrayEquals(new int[] {1, 403, 407, 31999}, tokens.tokens());
        assertEquals(SessionStep.Logits.ALL, tokens.logits());
        SessionStep hidden = decoded.steps().get(1);
        assertEquals("séance-2", hidden.sessionId());
        assertEquals(17, hidden.startPosition());
        assertEquals(SessionStep.Logits.LAST, hidden.logits());
        assertArrayEquals(batch().steps().get(1).hidden().toFloatArray(), hidden.hidden().toFloatArray());
        assertArrayEquals(new int[] {3, 64}, hidden.hidden().shape());
    }

    @Test
    void f16HalvesTheHiddenBytesAndRoundsToHalfPrecision() {
        byte[] f32 = StepCodec.encodeBatch(batch(), WireFormat.F32);
        byte[] f16 = StepCodec.encodeBatch(batch(), WireFormat.F16);
        assertEquals(3 * 64 * 2, f32.length - f16.length, "two bytes saved per hidden value");
        float[] sent = batch().steps().get(1).hidden().toFloatArray();
        float[] got = StepCodec.decodeBatch(f16).steps().get(1).hidden().toFloatArray();
        for (int i = 0; i < sent.length; i++) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(sent[i])), got[i]);
        }
    }

    @Test
    void q8_0TakesThirtyFourBytesPerThirtyTwoValuesWithinHalfAStepOfEachValue() {
        byte[] f32 = StepCodec.encodeBatch(batch(), WireFormat.F32);
        byte[] q8 = StepCodec.encodeBatch(batch(), WireFormat.Q8_0);
        assertEquals(3 * 64 * 4 - 3 * 64 / 32 * 34, f32.length - q8.length);
        float[] sent = batch().steps().get(1).hidden().toFloatArray();
        float[] got = StepCodec.decodeBatch(q8).steps().get(1).hidden().toFloatArray();
        for (int block = 0; block < sent.length; block += 32) {
            float max = 0;
            for (int i = block; i < block + 32; i++) {
                max = Math.max(max, Math.abs(sent[i]));
            }
            float step = max / 127;
            for (int i = block; i < block + 32; i++) {
                // half a quantization step, plus the F16 rounding of the scale applied to up to 127 steps
                assertEquals(sent[i], got[i], step * 0.5f + max * 0x1p-10f, "value " + i);
            }
        }
    }

    @Test
    void q8_0KeepsZerosAndAShortLastBlock() {
        float[] values = new float[70]; // two whole blocks and one of 6
        for (int i = 32; i < values.length; i++) {
            values[i] = (i % 2 == 0 ? 1 : -1) * i / 7f;
        }
        StepBatch batch = StepBatch.of(SessionStep.ofHidden("s", 0, TensorPayload.ofFloats(values, 1, 70), SessionStep.Logits.LAST));
        byte[] bytes = StepCodec.encodeBatch(batch, WireFormat.Q8_0);
        assertEquals(70 + 3 * 2, WireFormat.Q8_0.bytesFor(70));
        float[] got = StepCodec.decodeBatch(bytes).steps().get(0).hidden().toFloatArray();
        for (int i = 0; i < 32; i++) {
            assertEquals(0f, got[i], "an all-zero block stays zero");
        }
        assertEquals(values[68], got[68], Math.abs(values[69]) / 127, "the short block has its own scale");
        assertEquals(values[69], got[69], Math.abs(values[69]) / 127);
        for (int length = 0; length < bytes.length; length++) {
            byte[] cut = Arrays.copyOf(bytes, length);
            assertThrows(TransportException.class, () -> StepCodec.decodeBatch(cut), "truncated at " + length);
        }
    }

    @Test
    void q8RoundsHalfAwayFromZeroAsGgmlDoes() {
        float[] values = new float[32];
        values[0] = 127f; // scale exactly 1.0 (representable in f16)
        values[1] = 2.5f;
        values[2] = -2.5f;
        values[3] = -127f;
        values[4] = 0.49f;
        byte[] bytes = WireFormat.Q8_0.encode(dev.baremetalrt.spi.TensorPayload.ofFloats(values, 1, 32));
        assertEquals(Float.floatToFloat16(1f), (short) ((bytes[0] & 0xFF) | bytes[1] << 8), "the block scale, little-endian");
        assertEquals(127, bytes[2]);
        assertEquals(3, bytes[3]);
        assertEquals(-3, bytes[4]);
        assertEquals(-127, bytes[5]);
        assertEquals(0, bytes[6]);
    }

    @Test
    void wireFormatsParseByNameAndNameTheChoicesOtherwise() {
        assertEquals(WireFormat.Q8_0, WireFormat.parse("q8_0"));
        assertEquals(WireFormat.BF16, WireFormat.parse(" BF16"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> WireFormat.parse("int4")).getMessage().contains("f32, f16, bf16 or q8_0"));
    }

    @Test
    void resultsRoundTripInF32() {
        StepResult result = new StepResult(List.of(new StepResult.Output("a", random(1, 512, 2)), new StepResult.Output("b", random(4, 512, 3))));
        StepResult decoded = StepCodec.decodeResult(StepCodec.encodeResult(result));
        for (String id : List.of("a", "b")) {
            assertArrayEquals(result.output(id).toFloatArray(), decoded.output(id).toFloatArray());
            assertArrayEquals(result.output(id).shape(), decoded.output(id).shape());
        }
    }

    /** Every truncation and a flipped kind byte give a TransportException, never another exception. */
    @Test
    void malformedInputIsATransportException() {
        byte[] good = StepCodec.encodeBatch(batch(), WireFormat.F16);
        for (int length = 0; length < good.length; length++) {
            byte[] cut = Arrays.copyOf(good, length);
            assertThrows(TransportException.class, () -> StepCodec.decodeBatch(cut), "truncated at " + length);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertTrue(assertThrows(TransportException.class, () -> StepCodec.decodeBatch(longer)).getMessage().contains("after the end"));
        byte[] result = StepCodec.encodeBatch(batch(), WireFormat.F32);
        assertThrows(TransportException.class, () -> StepCodec.decodeResult(result), "a batch is not a result");
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 2000; i++) {
            byte[] flipped = good.clone();
            flipped[r.nextInt(flipped.length)] ^= (byte) (1 << r.nextInt(8));
            try {
                StepCodec.decodeBatch(flipped);
            } catch (TransportException expected) {
                // a clear error is fine; anything else fails the test
            }
        }
    }
}
