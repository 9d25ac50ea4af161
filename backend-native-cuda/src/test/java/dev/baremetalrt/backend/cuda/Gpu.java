package dev.baremetalrt.backend.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.baremetalrt.spi.ProbeResult;

/** For tests tagged {@code gpu}: skips them, saying why, where the cuda backend cannot run. */
final class Gpu {
    private static final ProbeResult PROBE = new CudaBackendProvider().probe();

    private Gpu() {}

    static void assumeAvailable() {
        assumeTrue(PROBE.available(), () -> "no usable GPU here, so this GPU test is skipped: " + PROBE.detail());
    }
}
