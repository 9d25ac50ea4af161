package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.WeightTensor;
import java.lang.foreign.ValueLayout;

/**
 * Weights in one of ggml's K-quant types: super-blocks of 256 values. Subclasses decode one super-block
 * ({@link #dequantizeBlock}) for the scalar path, embeddings and prefill tiles, and override {@link #dot}
 * with a fused Vector API kernel that never widens a whole row.
 */
abstract class KQuantMatrix extends WeightMatrix {
    static final int QK = 256;

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

    /**
     * ggml's {@code get_scale_min_k4}: scale ({@code min} false) or min of sub-block {@code j} (0..7) from
     * the 12 bytes at {@code at}, 6 bits each; the top two bits of sub-blocks 4..7 sit in bytes 0..7.
     */
    final int scaleOrMin(long at, int j, boolean min) {
        if (j < 4) {
            return u8(at + j + (min ? 4 : 0)) & 63;
        }
        int packed = u8(at + j + 4);
        return (min ? packed >>> 4 : packed & 0xF) | (u8(at + j - (min ? 0 : 4)) >>> 6) << 4;
    }
}
