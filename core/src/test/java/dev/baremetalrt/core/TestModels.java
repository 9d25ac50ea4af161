package dev.baremetalrt.core;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Locates ../shared/models for core's tests (core cannot use the conformance jar: it would be a cycle). */
public final class TestModels {
    private TestModels() {}

    public static Path file(String relative) {
        String property = System.getProperty("brt.sharedModels");
        Path root = property != null ? Path.of(property) : Path.of("..", "..", "shared", "models");
        Path p = root.resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), p + " not found: skipping (set -Dbrt.sharedModels=DIR)");
        return p;
    }
}
