package dev.baremetalrt.backend.cuda;

/**
 * Grid and block sizes of the kernels, and which matrix kernel a product takes. Pure arithmetic, tested
 * without a GPU; the constants must match {@code brt_kernels.cu}.
 */
final class LaunchGeometry {
    /** Threads of a gemv block: 4 warps of 4 weight rows each (GEMV_ROWS_PER_WARP in the .cu file). */
    static final int GEMV_THREADS = 128;
    static final int GEMV_ROWS_PER_WARP = 4;
    static final int GEMV_ROWS_PER_BLOCK = GEMV_THREADS / 32 * GEMV_ROWS_PER_WARP;
    /** Positions one gemv launch multiplies (GEMV_MAX_POSITIONS in the .cu file). */
    static final int GEMV_MAX_POSITIONS = 8;
    /** gemm: 64 x 64 output tiles, 256 threads, K steps of 32. */
    static final int GEMM_TILE = 64;
    static final int GEMM_THREADS = 256;
    static final int GEMM_K = 32;
    /** From this many positions on, a product goes through gemm (weights read once per 64 positions). */
    static final int GEMM_MIN_POSITIONS = 16;
    /** Threads of the one-position gemv blocks (gemv1_*, gemv2_*, gemv4_*). */
    static final int GEMV1_THREADS = 256;
    /**
     * Rows per warp for one position: 1, 2 or 4 (the gemv1_/gemv2_/gemv4_ kernels), forced
     * for every format by the setting {@code brt.cuda.decode-rows} / {@code BRT_CUDA_DECODE_ROWS}; 0 (the
     * default) takes each format's best on an H100 (docs/benchmarks.md): 4 for Q8_0 (and Q4_0, on the
     * batched kernel), 2 for the others.
     */
    static final int DECODE_ROWS_OVERRIDE = decodeRows();

    static int decodeRowsPerWarp(DeviceFormat format) {
        if (DECODE_ROWS_OVERRIDE != 0) {
            return DECODE_ROWS_OVERRIDE;
        }
        return format == DeviceFormat.Q8_0 || format == DeviceFormat.Q4_0 ? 4 : 2;
    }
    /** Tensor-core gemm tiles: 128 weight rows x 128 positions, K steps of 64, 256 threads. */
    static final int TC_ROWS = 128;
    static final int TC_POSITIONS = 128;
    static final int TC_K = 64;
    /** F16 weight and activation tiles (padded rows of 72) and one 16 x 16 float staging tile per warp. */
    static final int TC_SHARED_BYTES = (TC_ROWS + TC_POSITIONS) * (TC_K + 8) * 2 + 8 * 256 * 4;
    /**
     * From this many positions on, prefill takes the tensor cores. Their F16 inputs move logits by about
     * 1e-3 of their scale, so short prompts (and every decode step) keep the FP32 path; the setting
     * {@code brt.cuda.tensor-cores=false} keeps it for every length.
     */
    static final int TENSOR_CORE_MIN_POSITIONS = 64;
    static final boolean TENSOR_CORES = !dev.baremetalrt.spi.Settings.get("cuda.tensor-cores").map(v -> v.equalsIgnoreCase("false") || v.equals("0")).orElse(false);
    /** Attention: 8 warps per (head, position), each taking every 8th key. */
    static final int ATTENTION_THREADS = 256;
    static final int MAX_HEAD_DIM = 256;
    static final int ELEMENTWISE_THREADS = 256;

    private LaunchGeometry() {}

    /** The kernel family a {@code [rows, cols]} weight times {@code n} positions takes. */
    enum MatmulKernel {
        /** 4 rows per warp, up to 8 positions per launch. */
        GEMV,
        /** One position: {@link #decodeRowsPerWarp} rows per warp, 256-thread blocks, registers capped for occupancy. */
        GEMV1,
        /** Plain types with rows not a multiple of 8: one value per lane. */
        GEMV_SCALAR,
        /** Tiled on FP32 cores, for a few dozen positions (exact as the gemv path). */
        GEMM,
        /** Tiled on tensor cores with F16 inputs, for long prompts ({@link #TENSOR_CORE_MIN_POSITIONS}+). */
        GEMM_TC
    }

    static MatmulKernel matmulKernel(DeviceFormat format, int cols, int n) {
        if (cols % 8 != 0) {
            if (!format.plain()) {
                throw new IllegalArgumentException("%s rows of %d values are not whole blocks".formatted(format, cols));
            }
            return MatmulKernel.GEMV_SCALAR;
        }
        if (n == 1) {
            // Q4_0 decodes fastest on the batched kernel's 128-thread blocks (H100, docs/benchmarks.md)
            return format == DeviceFormat.Q4_0 && DECODE_ROWS_OVERRIDE == 0 ? MatmulKernel.GEMV : MatmulKernel.GEMV1;
        }
        if (n >= GEMM_MIN_POSITIONS && cols % GEMM_K == 0) {
            return n >= TENSOR_CORE_MIN_POSITIONS && TENSOR_CORES && cols % TC_K == 0 ? MatmulKernel.GEMM_TC : MatmulKernel.GEMM;
        }
        return MatmulKernel.GEMV;
    }

    static String kernelName(MatmulKernel kernel, DeviceFormat format) {
        return switch (kernel) {
            case GEMV -> "gemv_" + format.suffix;
            case GEMV1 -> "gemv" + decodeRowsPerWarp(format) + "_" + format.suffix;
            case GEMV_SCALAR -> "gemv_scalar_" + format.suffix;
            case GEMM -> "gemm_" + format.suffix;
            case GEMM_TC -> "gemm_tc_" + format.suffix;
        };
    }

    static int gemvBlocks(int rows) {
        return ceilDiv(rows, GEMV_ROWS_PER_BLOCK);
    }

    /** The scalar gemv keeps one row per warp. */
    static int gemvScalarBlocks(int rows) {
        return ceilDiv(rows, GEMV_THREADS / 32);
    }

    /** Launches a gemv needs for n positions (the scalar kernel loops over positions itself). */
    static int gemvLaunches(MatmulKernel kernel, int n) {
        return kernel == MatmulKernel.GEMV ? ceilDiv(n, GEMV_MAX_POSITIONS) : 1;
    }

    static int tensorCoreBlocksX(int rows) {
        return ceilDiv(rows, TC_ROWS);
    }

    static int tensorCoreBlocksY(int n) {
        return ceilDiv(n, TC_POSITIONS);
    }

    static int gemmBlocksX(int rows) {
        return ceilDiv(rows, GEMM_TILE);
    }

    static int gemmBlocksY(int n) {
        return ceilDiv(n, GEMM_TILE);
    }

    /** Dynamic shared memory of the attention kernel: each warp's partial output row. */
    static int attentionSharedBytes(int headDim) {
        if (headDim > MAX_HEAD_DIM) {
            throw new IllegalArgumentException("head dimension %d exceeds the attention kernel's %d".formatted(headDim, MAX_HEAD_DIM));
        }
        return ATTENTION_THREADS / 32 * headDim * Float.BYTES;
    }

    static int elementwiseBlocks(long n) {
        return Math.toIntExact(ceilDiv(n, ELEMENTWISE_THREADS));
    }

    private static int decodeRows() {
        int rows = dev.baremetalrt.spi.Settings.getInt("cuda.decode-rows", 0);
        if (rows != 0 && rows != 1 && rows != 2 && rows != 4) {
            throw new IllegalArgumentException("setting cuda.decode-rows must be 1, 2 or 4 (0: per format), got " + rows);
        }
        return rows;
    }

    static int gemv1Blocks(DeviceFormat format, int rows) {
        return ceilDiv(rows, GEMV1_THREADS / 32 * decodeRowsPerWarp(format));
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
