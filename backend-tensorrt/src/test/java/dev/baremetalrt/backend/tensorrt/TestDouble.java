package dev.baremetalrt.backend.tensorrt;

import dev.baremetalrt.spi.BackendOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** Where the test double of brt_trtllm.h was built (src/test/native), an engine folder for it, and its token rule. */
final class TestDouble {
    private TestDouble() {}

    /** The built library, or the test is skipped saying why. */
    static Path library() {
        String configured = System.getProperty("brt.trtllm.testDouble");
        Assumptions.assumeTrue(configured != null && Files.isRegularFile(Path.of(configured)),
                "the test double libbrt_trtllm_fake.so was not built (needs gcc on Linux): " + configured);
        return Path.of(configured);
    }

    /** A folder that looks like trtllm-build's output (config.json), which is all the test double checks. */
    static Path engine() {
        try {
            Path dir = Files.createTempDirectory("brt-trtllm-engine");
            Files.writeString(dir.resolve("config.json"), "{\"note\": \"test double engine\"}");
            dir.toFile().deleteOnExit();
            dir.resolve("config.json").toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Backend options for the test double with {@code optionsJson}. */
    static BackendOptions options(String optionsJson) {
        return new BackendOptions(0, Map.of("library", library().toString(), "engine", engine().toString(), "options", optionsJson));
    }

    /** The tokens the test double generates after {@code prompt} (see brt_trtllm_fake.c), ignoring every stop rule. */
    static int[] tokens(int[] prompt, int count, int vocab, long mix) {
        int[] out = new int[count];
        long last = prompt[prompt.length - 1] & 0xFFFFFFFFL;
        for (int position = 0; position < count; position++) {
            long next = Long.remainderUnsigned(last * 1103515245L + 12345L + position * 2654435761L + mix, vocab);
            out[position] = (int) next;
            last = next;
        }
        return out;
    }
}
