package dev.baremetalrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.backend.cuda.LaunchGeometry.MatmulKernel;
import org.junit.jupiter.api.Test;

/** Kernel choice and grid sizes, checked without a GPU. */
class LaunchGeometryTest {
    @Test
    void decodeTakesGemvAndPrefillTakesGemm() {
        assertEquals(MatmulKernel.GEMV1, LaunchGeometry.matmulKernel(DeviceFormat.Q8_0, 8192, 1));
        assertEquals("gemv4_q8_0", LaunchGeometry.kernelName(MatmulKernel.GEMV1, DeviceFormat.Q8_0));
        assertEquals("gemv2_f16", LaunchGeometry.kernelName(MatmulKernel.GEMV1, DeviceFormat.F16));
        assertEquals(MatmulKernel.GEMV, LaunchGeometry.matmulKernel(DeviceFormat.Q4_0, 8192, 1), "Q4_0 decodes fastest on the batched kernel");
        assertEquals(512, LaunchGeometry.gemv1Blocks(DeviceFormat.F16, 8192), "8 warps of 2 rows per block");
        assertEquals(MatmulKernel.GEMV, LaunchGeometry.matmulKernel(DeviceFormat.Q8_0, 8192, 2));
        assertEquals(MatmulKernel.GEMV, LaunchGeometry.matmulKernel(DeviceFormat.Q4_K, 8192, LaunchGeometry.GEMM_MIN_POSITIONS - 1));
        assertEquals(MatmulKernel.GEMM, LaunchGeometry.matmulKernel(DeviceFormat.F16, 8192, LaunchGeometry.GEMM_MIN_POSITIONS));
        assertEquals(MatmulKernel.GEMM, LaunchGeometry.matmulKernel(DeviceFormat.Q4_0, 4096, LaunchGeometry.TENSOR_CORE_MIN_POSITIONS - 1));
        assertEquals(MatmulKernel.GEMM_TC, LaunchGeometry.matmulKernel(DeviceFormat.Q4_0, 4096, 512), "long prompts take the tensor cores");
        assertEquals("gemm_tc_q4_0", LaunchGeometry.kernelName(MatmulKernel.GEMM_TC, DeviceFormat.Q4_0));
        assertEquals(64, LaunchGeometry.tensorCoreBlocksX(8192));
        assertEquals(4, LaunchGeometry.tensorCoreBlocksY(512));
        assertEquals(MatmulKernel.GEMM, LaunchGeometry.matmulKernel(DeviceFormat.F16, 96, 512), "rows of 96 are not whole 64-wide K steps");
        assertTrue(LaunchGeometry.TC_SHARED_BYTES <= 48 * 1024, "fits the default dynamic shared memory limit");
    }

    @Test
    void rowsThatAreNotMultiplesOf8TakeTheScalarKernelOnlyForPlainTypes() {
        // stories260K's FFN is 172 wide
        assertEquals(MatmulKernel.GEMV_SCALAR, LaunchGeometry.matmulKernel(DeviceFormat.F32, 172, 1));
        assertEquals(MatmulKernel.GEMV_SCALAR, LaunchGeometry.matmulKernel(DeviceFormat.F16, 172, 100));
        assertEquals("gemv_scalar_f16", LaunchGeometry.kernelName(MatmulKernel.GEMV_SCALAR, DeviceFormat.F16));
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.matmulKernel(DeviceFormat.Q8_0, 172, 1));
    }

    @Test
    void rowsNotAMultipleOf32StayOnGemvForManyPositions() {
        // gemm steps through K 32 at a time
        assertEquals(MatmulKernel.GEMV, LaunchGeometry.matmulKernel(DeviceFormat.F32, 40, 64));
    }

    @Test
    void gridsCoverEveryRowAndPosition() {
        assertEquals(1792, LaunchGeometry.gemvBlocks(28672)); // 4 warps of 4 rows per block
        assertEquals(20, LaunchGeometry.gemvBlocks(320));
        assertEquals(21, LaunchGeometry.gemvBlocks(321));
        assertEquals(43, LaunchGeometry.gemvScalarBlocks(172)); // one row per warp
        assertEquals(44, LaunchGeometry.gemvScalarBlocks(173));
        assertEquals(1, LaunchGeometry.gemvLaunches(MatmulKernel.GEMV, 8));
        assertEquals(2, LaunchGeometry.gemvLaunches(MatmulKernel.GEMV, 9));
        assertEquals(1, LaunchGeometry.gemvLaunches(MatmulKernel.GEMV_SCALAR, 100));
        assertEquals(128, LaunchGeometry.gemmBlocksX(8192));
        assertEquals(8, LaunchGeometry.gemmBlocksY(512));
        assertEquals(1, LaunchGeometry.gemmBlocksY(16));
        assertEquals(2, LaunchGeometry.elementwiseBlocks(257));
    }

    @Test
    void attentionKeepsOnePartialRowPerWarpInSharedMemory() {
        assertEquals(8 * 128 * 4, LaunchGeometry.attentionSharedBytes(128));
        assertEquals(8 * 16 * 4, LaunchGeometry.attentionSharedBytes(16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.attentionSharedBytes(512));
        assertEquals("head dimension 512 exceeds the attention kernel's 256", e.getMessage());
    }

    @Test
    void repackedFormatsPutQuantsBeforeScales() {
        assertEquals(8192L * 8192, DeviceFormat.Q8_0.quantBytes(8192L * 8192));
        assertEquals(8192L * 8192 / 2, DeviceFormat.Q4_0.quantBytes(8192L * 8192));
        assertThrows(IllegalStateException.class, () -> DeviceFormat.F16.quantBytes(64));
        for (DeviceFormat f : DeviceFormat.values()) {
            assertEquals(f, DeviceFormat.of(f.type), "every weight type has a device format");
        }
    }
}
