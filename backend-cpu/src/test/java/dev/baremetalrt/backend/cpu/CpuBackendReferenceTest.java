package dev.baremetalrt.backend.cpu;

import dev.baremetalrt.conformance.BackendConformanceTest;
import dev.baremetalrt.spi.BackendProvider;

/** The cpu backend against the float64 reference (every weight type, GQA and not, 1-3 stages). */
class CpuBackendReferenceTest extends BackendConformanceTest {
    @Override
    protected BackendProvider provider() {
        return new CpuBackendProvider();
    }
}
