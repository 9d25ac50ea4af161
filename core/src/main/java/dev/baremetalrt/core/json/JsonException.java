package dev.baremetalrt.core.json;

import dev.baremetalrt.spi.BrtException;

/** Malformed JSON, or JSON of the wrong shape for what was expected. */
public class JsonException extends BrtException {
    private static final long serialVersionUID = 1L;

    public JsonException(String message) {
        super(message);
    }
}
