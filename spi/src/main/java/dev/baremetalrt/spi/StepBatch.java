package dev.baremetalrt.spi;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Steps of several sessions run together through a shard; at most one step per session. */
public record StepBatch(List<SessionStep> steps) {
    public StepBatch {
        steps = List.copyOf(steps);
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a step batch needs at least one step");
        }
        Set<String> seen = new HashSet<>();
        for (SessionStep s : steps) {
            if (!seen.add(s.sessionId())) {
                throw new IllegalArgumentException("session %s appears twice in one batch".formatted(s.sessionId()));
            }
        }
    }

    public static StepBatch of(SessionStep... steps) {
        return new StepBatch(List.of(steps));
    }

    /**
     * The batch for the stage after the one that returned {@code previous}: the same steps, each carrying
     * its session's output from {@code previous} as hidden states.
     */
    public StepBatch withHidden(StepResult previous) {
        java.util.Objects.requireNonNull(previous, "previous is null");
        List<SessionStep> next = new java.util.ArrayList<>(steps.size());
        for (SessionStep step : steps) {
            next.add(step.withHidden(previous.output(step.sessionId())));
        }
        return new StepBatch(next);
    }

    /** Total positions over all steps. */
    public int totalPositions() {
        return steps.stream().mapToInt(SessionStep::positions).sum();
    }
}
