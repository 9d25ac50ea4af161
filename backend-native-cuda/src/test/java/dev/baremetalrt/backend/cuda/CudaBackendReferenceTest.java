package dev.baremetalrt.backend.cuda;

import dev.baremetalrt.conformance.BackendConformanceTest;
import dev.baremetalrt.spi.BackendProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/** The conformance suite on the GPU (every weight type, GQA and not, 1-3 stages); skipped without one. */
@Tag("gpu")
class CudaBackendReferenceTest extends BackendConformanceTest {
    @BeforeEach
    void needsGpu() {
        Gpu.assumeAvailable();
    }

    @Override
    protected BackendProvider provider() {
        return new CudaBackendProvider();
    }
}
