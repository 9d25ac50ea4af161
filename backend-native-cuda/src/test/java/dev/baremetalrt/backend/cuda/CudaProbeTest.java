package dev.baremetalrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.ProbeResult;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** What the provider says on a machine without a GPU (CI), and what the build put in the jar. */
class CudaProbeTest {
    private static boolean nvcc() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "nvcc"))) {
                return true;
            }
        }
        return System.getenv("NVCC") != null || Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"));
    }

    private static boolean nvidiaDriverPresent() {
        return Files.exists(Path.of("/proc/driver/nvidia")) || Files.exists(Path.of("/dev/nvidia0"));
    }

    @Test
    void isDiscoveredWithServiceLoader() {
        assertTrue(ServiceLoader.load(BackendProvider.class).stream().anyMatch(p -> p.type() == CudaBackendProvider.class));
    }

    @Test
    void probeWithoutDriverNamesTheLibraryAndTheDriverVersion() {
        assumeFalse(nvidiaDriverPresent(), "this machine has an NVIDIA driver");
        ProbeResult probe = new CudaBackendProvider().probe();
        assertFalse(probe.available());
        assertTrue(probe.devices().isEmpty());
        if (CudaKernels.image() != null) {
            assertTrue(probe.detail().startsWith("no NVIDIA driver: libcuda.so.1 could not be loaded"), probe.detail());
            assertTrue(probe.detail().contains("R580"), probe.detail());
        }
        BackendException e = assertThrows(BackendException.class, () -> new CudaBackendProvider().open(BackendOptions.defaults()));
        assertTrue(e.getMessage().startsWith("cuda backend unavailable: "), e.getMessage());
    }

    @Test
    void driverVersionCheck() {
        assertNull(CudaDriver.driverVersionProblem(13000));
        assertNull(CudaDriver.driverVersionProblem(13010));
        String old = CudaDriver.driverVersionProblem(12040);
        assertNotNull(old);
        assertTrue(old.contains("supports CUDA 12.4") && old.contains("R580"), old);
        assertTrue(CudaDriver.missingDriverMessage(new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object file")).contains("libcuda.so.1"));
    }

    @Test
    void kernelsAreInTheJarWhenNvccWasThere() {
        assertEquals(nvcc(), CudaKernels.image() != null, "the fatbin is built exactly when nvcc is on the PATH");
        if (CudaKernels.image() == null) {
            assertTrue(CudaKernels.notBuiltMessage().contains("nvcc"));
        }
    }

    /**
     * The fatbin holds machine code for Ampere, Ada and Hopper, and PTX that newer GPUs compile. Read from
     * its entry headers (magic 0xBA55ED50; per entry: kind 1 = PTX, 2 = ELF cubin, and the SM version at
     * byte 28), so the test needs no cuobjdump.
     */
    @Test
    void fatbinHasCubinsForEveryTargetAndPtx() {
        byte[] image = CudaKernels.image();
        assumeTrue(image != null, "kernels not built (no nvcc)");
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xBA55ED50, b.getInt(0), "fatbin magic");
        int headerSize = Short.toUnsignedInt(b.getShort(6));
        long end = headerSize + b.getLong(8);
        List<String> entries = new ArrayList<>();
        for (long off = headerSize; off < end; ) {
            int at = Math.toIntExact(off);
            int kind = Short.toUnsignedInt(b.getShort(at));
            entries.add((kind == 1 ? "ptx:" : kind == 2 ? "cubin:" : "kind" + kind + ":") + b.getInt(at + 28));
            off += Integer.toUnsignedLong(b.getInt(at + 4)) + b.getLong(at + 8);
        }
        assertEquals(List.of("ptx:80", "cubin:80", "cubin:86", "cubin:89", "cubin:90"), entries.stream().sorted((x, y) -> {
            int kx = x.startsWith("ptx") ? 0 : 1;
            int ky = y.startsWith("ptx") ? 0 : 1;
            return kx != ky ? kx - ky : x.compareTo(y);
        }).toList());
    }

    @Test
    void deviceListsAreChecked() {
        assertEquals(List.of(0, 2), CudaBackendProvider.parseDevices("0, cuda:2", 3));
        assertEquals("cuda.devices: device 3 does not exist; the driver sees 2 device(s), numbered from 0",
                assertThrows(BackendException.class, () -> CudaBackendProvider.parseDevices("3", 2)).getMessage());
        assertTrue(assertThrows(BackendException.class, () -> CudaBackendProvider.parseDevices("one", 2)).getMessage().contains("'one'"));
        assertTrue(assertThrows(BackendException.class, () -> CudaBackendProvider.parseDevices("1,1", 2)).getMessage().contains("twice"));
    }
}
