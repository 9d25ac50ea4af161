package dev.baremetalrt.example.scalar;

import dev.baremetalrt.conformance.BackendConformanceTest;
import dev.baremetalrt.spi.BackendProvider;

/** The example backend against the whole suite: F32 and F16 are compared with the reference; every other type must be refused. */
class ScalarBackendConformanceTest extends BackendConformanceTest {
    @Override
    protected BackendProvider provider() {
        return new ScalarBackendProvider();
    }
}
