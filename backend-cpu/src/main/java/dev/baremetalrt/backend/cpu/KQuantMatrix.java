package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;
import java.lang.foreign.ValueLayout;

/**
 * Weights in one of ggml's K-quant types: super-blocks of 256 values. Subclasses decode one super-block
 * ({@link #dequantizeBlock}) for the scalar path, override {@link #dot} with a fused Vector API kernel that
 * never widens a whole row, and (Q4_K, Q5_K, Q6_K) widen rows with vector code for embeddings and the
 * register-tile path ({@link KQuantKernels}).
 */
abstract class KQuantMatrix extends WeightMatrix {
    static final int QK = 256;
    static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    final int blockBytes;

    KQuantMatrix(WeightTensor t) {
        super(t);
        this.blockBytes = t.type().bytesPerBlock();
    }

    /** Writes the 256 values of the super-block at byte offset {@code off} into {@code out[outOff..]}. */
    abstract void dequantizeBlock(long off, float[] out, int outOff);

    @Override
    float dot(int row, float[] x, int xOff) {
        float[] block = new float[QK];
        long off = row * rowBytes;
        float sum = 0;
        for (int b = 0; b < cols; b += QK, off += blockBytes) {
            dequantizeBlock(off, block, 0);
            for (int j = 0; j < QK; j++) {
                sum += block[j] * x[xOff + b + j];
            }
        }
        return sum;
    }

    @Override
    void dequantizeRow(int row, float[] out, int outOff) {
        long off = row * rowBytes;
        for (int b = 0; b < cols; b += QK, off += blockBytes) {
            dequantizeBlock(off, out, outOff + b);
        }
    }

    final int u8(long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /** The 12 packed scale/min bytes at {@code at}: bytes 0-7. Read with {@link #packed8} once per super-block. */
    final long packed0(long at) {
        return data.get(I64_LE, at);
    }

    /** Bytes 8-11 of the packed scales and mins. */
    final int packed8(long at) {
        return data.get(I32_LE, at + 8);
    }

    /**
     * ggml's {@code get_scale_min_k4}: the 6-bit scale of sub-block {@code j} (0..7) from the 12 packed
     * bytes read as a long (bytes 0-7) and an int (bytes 8-11). Sub-blocks 4..7 keep their top two bits in
     * the top bits of bytes 0-3. Two loads per super-block instead of byte reads per sub-block, which cost
     * as much as the vector work (Q4_K 0.40 vs 0.20 ns per weight in cache).
     */
    static int scale(long packed0, int packed8, int j) {
        if (j < 4) {
            return (int) (packed0 >>> (8 * j)) & 63;
        }
        return (packed8 >>> (8 * (j - 4))) & 0xF | ((int) (packed0 >>> (8 * (j - 4) + 6)) & 3) << 4;
    }

    /** The 6-bit min of sub-block {@code j}; see {@link #scale}. Sub-blocks 4..7 keep their top bits in bytes 4-7. */
    static int min(long packed0, int packed8, int j) {
        if (j < 4) {
            return (int) (packed0 >>> (8 * (j + 4))) & 63;
        }
        return (packed8 >>> (8 * (j - 4) + 4)) & 0xF | ((int) (packed0 >>> (8 * j + 6)) & 3) << 4;
    }
}
