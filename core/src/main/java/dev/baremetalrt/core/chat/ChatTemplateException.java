package dev.baremetalrt.core.chat;

import dev.baremetalrt.spi.BrtException;

/** A chat template could not be rendered: a syntax error, or the template refused the conversation. */
public class ChatTemplateException extends BrtException {
    private static final long serialVersionUID = 1L;

    public ChatTemplateException(String message) {
        super(message);
    }
}
