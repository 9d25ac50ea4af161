package dev.baremetalrt.spi;

/** A shard plan is invalid, or no plan can cover the model with the capacity offered. */
public class PlanException extends BrtException {
    private static final long serialVersionUID = 1L;

    public PlanException(String message) {
        super(message);
    }
}
