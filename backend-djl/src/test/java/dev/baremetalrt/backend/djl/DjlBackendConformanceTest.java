package dev.baremetalrt.backend.djl;

import dev.baremetalrt.conformance.BackendConformanceTest;
import dev.baremetalrt.spi.BackendProvider;

/** The djl backend against the whole conformance suite, on the CPU libtorch from the class path. */
class DjlBackendConformanceTest extends BackendConformanceTest {
    @Override
    protected BackendProvider provider() {
        return new DjlBackendProvider();
    }
}
