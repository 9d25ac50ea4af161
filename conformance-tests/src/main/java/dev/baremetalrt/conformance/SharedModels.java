package dev.baremetalrt.conformance;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real test models in {@code ../shared/models} (system property {@code brt.sharedModels},
 * else {@code shared/models} or {@code ../shared/models} walking up from the working directory). Tests
 * that need them are skipped, with the reason, when the folder is absent. Files are read in place, never
 * copied.
 */
public final class SharedModels {
    private SharedModels() {}

    /** The folder, or a skipped test when it is absent. */
    public static Path root() {
        Path found = locate();
        Assumptions.assumeTrue(found != null, "../shared/models not found (set -Dbrt.sharedModels=DIR): skipping tests that need the real models");
        return found;
    }

    /** A file under the folder; skips the test when it is missing. */
    public static Path file(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), p + " is missing: skipping");
        return p;
    }

    private static Path locate() {
        String property = System.getProperty("brt.sharedModels");
        if (property != null && Files.isDirectory(Path.of(property))) {
            return Path.of(property).toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            for (Path candidate : new Path[] {dir.resolve("shared/models"), dir.resolveSibling("shared").resolve("models")}) {
                if (Files.isDirectory(candidate.resolve("stories260K"))) {
                    return candidate;
                }
            }
        }
        return null;
    }
}
