package dev.baremetalrt.core.model;

import dev.baremetalrt.spi.BrtException;

/** A model file is readable but not a model BareMetalRT can run (missing tensor, wrong shape, bad hyperparameters). */
public class ModelException extends BrtException {
    private static final long serialVersionUID = 1L;

    public ModelException(String message) {
        super(message);
    }
}
