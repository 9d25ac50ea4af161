package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Output of {@link Shard#forward}: one tensor per step of the batch, in the batch's order — hidden
 * states {@code [positions, dim]}, or logits {@code [n, vocab]} from a head shard.
 */
public record StepResult(List<Output> outputs) {
    /** One session's output. */
    public record Output(String sessionId, TensorPayload tensor) {
        public Output {
            requireNonNull(sessionId, "sessionId is null");
            requireNonNull(tensor, "tensor is null");
        }
    }

    public StepResult {
        outputs = List.copyOf(outputs);
    }

    /** The output of the session, or an exception naming it. */
    public TensorPayload output(String sessionId) {
        for (Output o : outputs) {
            if (o.sessionId().equals(sessionId)) {
                return o.tensor();
            }
        }
        throw new SessionException("no output for session " + sessionId);
    }
}
