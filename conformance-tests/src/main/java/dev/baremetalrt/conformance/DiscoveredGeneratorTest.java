package dev.baremetalrt.conformance;

import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;

/**
 * {@link GeneratorConformanceTest} for the whole-model backend that {@link ConformanceRun} names (see
 * {@link DiscoveredBackendTest}), opened with default options: its own settings (environment or system
 * properties, e.g. {@code BRT_TRTLLM_ENGINE}) say which engine to run. Run by {@code brt conformance}.
 */
public class DiscoveredGeneratorTest extends GeneratorConformanceTest {
    @Override
    protected BackendProvider provider() {
        return DiscoveredBackendTest.discover();
    }

    @Override
    protected BackendOptions options() {
        return BackendOptions.defaults();
    }
}
