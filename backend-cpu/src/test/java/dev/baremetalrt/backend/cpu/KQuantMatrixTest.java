package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baremetalrt.conformance.ReferenceWeights;
import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * K-quant rows of random bytes (every bit pattern of scales, mins, nibbles and high bits, not only what
 * our quantizer writes) against the conformance suite's element-by-element decoder: the fused dot kernel
 * and the block dequantizer must both agree with it.
 */
class KQuantMatrixTest {
    private static final int ROWS = 3;
    private static final int COLS = 512;

    @ParameterizedTest
    @EnumSource(value = WeightType.class, names = {"Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void dotAndDequantizeAgreeWithTheReferenceDecoder(WeightType type) {
        SplittableRandom rnd = new SplittableRandom(type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            long bytes = type.byteSize((long) ROWS * COLS);
            MemorySegment data = arena.allocate(bytes);
            for (long i = 0; i < bytes; i++) {
                data.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
            }
            for (long block = 0; block < bytes; block += type.bytesPerBlock()) {
                writeSaneScales(type, data, block, rnd);
            }
            WeightTensor tensor = new WeightTensor("blk.0.ffn_down.weight", type, new long[] {COLS, ROWS}, data);
            WeightMatrix matrix = WeightMatrix.of(tensor);
            double[] expected = ReferenceWeights.decode(tensor);
            float[] x = new float[COLS + 7];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            float[] row = new float[COLS];
            for (int r = 0; r < ROWS; r++) {
                matrix.dequantizeRow(r, row, 0);
                double want = 0;
                double magnitude = 0;
                for (int c = 0; c < COLS; c++) {
                    double e = expected[r * COLS + c];
                    assertEquals(e, row[c], 1e-6 * Math.max(1, Math.abs(e)), type + " row " + r + " element " + c);
                    want += e * x[7 + c];
                    magnitude += Math.abs(e * x[7 + c]);
                }
                assertEquals(want, matrix.dot(r, x, 7), 1e-5 * magnitude, type + " dot of row " + r);
            }
        }
    }

    /** Random f16/f32 super-block scales in [0.001, 0.1): raw random bytes would include NaN and infinity. */
    private static void writeSaneScales(WeightType type, MemorySegment data, long block, SplittableRandom rnd) {
        var f16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case Q4_K, Q5_K -> {
                data.set(f16, block, Float.floatToFloat16((float) rnd.nextDouble(0.001, 0.1)));
                data.set(f16, block + 2, Float.floatToFloat16((float) rnd.nextDouble(0.001, 0.1)));
            }
            case Q6_K -> data.set(f16, block + 208, Float.floatToFloat16((float) rnd.nextDouble(0.001, 0.1)));
            case Q8_K -> data.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), block, (float) rnd.nextDouble(0.001, 0.1));
            default -> throw new IllegalArgumentException(type.toString());
        }
    }
}
