package dev.baremetalrt.core.gguf;

import dev.baremetalrt.spi.BrtException;
import java.nio.file.Path;

/** A GGUF file is corrupt, truncated or uses something BareMetalRT does not read. Names the file. */
public class GgufFormatException extends BrtException {
    private static final long serialVersionUID = 1L;

    public GgufFormatException(Path file, String problem) {
        super("GGUF file " + file + ": " + problem);
    }
}
