package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.spi.Settings;
import java.util.logging.Logger;

/**
 * Whether the Vector API kernels run. Checked without touching any {@code jdk.incubator.vector} class, so
 * the backend still loads (with scalar kernels) when the JVM was started without the module.
 */
final class Simd {
    private static final Logger LOG = Logger.getLogger(Simd.class.getName());

    /** The module is in the boot layer. */
    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /** Float lanes of the preferred vector shape (0 when the module is missing). */
    static final int LANES = AVAILABLE ? VectorKernels.preferredLanes() : 0;
    static final boolean REQUESTED = !Settings.get("cpu.vector").map(v -> v.equalsIgnoreCase("false")).orElse(false);
    /** Vector kernels are used: module present, vectors of 256 or 512 bits, not switched off. */
    static final boolean ENABLED = AVAILABLE && LANES >= 8 && LANES <= 16 && REQUESTED;

    static {
        if (!ENABLED) {
            LOG.warning("cpu backend: using scalar kernels (several times slower) because " + reason());
        }
    }

    private Simd() {}

    /** Why the vector kernels are off, or what they use. */
    static String reason() {
        if (!AVAILABLE) {
            return "the Vector API is missing: start java with --add-modules jdk.incubator.vector (the brt launcher does)";
        }
        if (!REQUESTED) {
            return "brt.cpu.vector / BRT_CPU_VECTOR is false";
        }
        if (LANES < 8 || LANES > 16) {
            return "this CPU's preferred vectors hold %d floats; the kernels need 8 or 16".formatted(LANES);
        }
        return "Vector API, %d-bit (%d float lanes)".formatted(LANES * 32, LANES);
    }
}
