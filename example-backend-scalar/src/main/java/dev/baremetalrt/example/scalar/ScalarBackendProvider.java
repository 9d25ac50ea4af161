package dev.baremetalrt.example.scalar;

import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.ProbeResult;

/** Found through {@code META-INF/services/dev.baremetalrt.spi.BackendProvider}: drop the jar on the classpath and {@code scalar} is there. */
public final class ScalarBackendProvider implements BackendProvider {
    @Override
    public String id() {
        return "scalar";
    }

    @Override
    public String description() {
        return "example backend: plain scalar Java, F32 and F16 weights, one thread";
    }

    @Override
    public ProbeResult probe() {
        return ProbeResult.available("plain Java, runs anywhere Java runs", java.util.List.of(ScalarBackend.DEVICE));
    }

    @Override
    public Backend open(BackendOptions options) {
        return new ScalarBackend();
    }
}
