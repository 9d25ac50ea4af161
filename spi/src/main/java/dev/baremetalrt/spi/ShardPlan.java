package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An immutable, validated assignment of the layers {@code [0, layerCount)} of one model to stages.
 * Stage {@code i} owns a contiguous range that starts where stage {@code i-1} ended; the first stage
 * embeds tokens, the last applies the head. Spans may be uneven; any number of stages up to the layer
 * count is allowed.
 *
 * @param modelId    the model
 * @param epoch      version of the plan; a newer plan for the same model has a larger epoch
 * @param layerCount layers in the model
 * @param stages     stages in pipeline order
 */
public record ShardPlan(String modelId, long epoch, int layerCount, List<Stage> stages) {

    /**
     * One stage of a plan.
     *
     * @param modelId   the model (same for every stage of a plan)
     * @param index     position in the pipeline, from 0
     * @param node      node that runs it (in-process stages use names such as {@code local-0})
     * @param backend   backend id on that node
     * @param layers    decoder layers it runs
     * @param embedding whether it embeds token ids (only stage 0)
     * @param head      whether it applies the final norm and output head (only the last stage)
     */
    public record Stage(String modelId, int index, String node, String backend, LayerRange layers, boolean embedding, boolean head) {
        public Stage {
            requireNonNull(modelId, "modelId is null");
            requireNonNull(node, "node is null");
            requireNonNull(backend, "backend is null");
            requireNonNull(layers, "layers is null");
        }

        /** For logs: {@code stage 1 (local-1/cpu, layers [3, 5) +head)}. */
        public String describe() {
            return "stage %d (%s/%s, %s%s%s)".formatted(index, node, backend, layers, embedding ? " +embedding" : "", head ? " +head" : "");
        }
    }

    public ShardPlan {
        requireNonNull(modelId, "modelId is null");
        stages = List.copyOf(requireNonNull(stages, "stages is null"));
        if (epoch < 0) {
            throw new PlanException("plan for model %s: epoch must be >= 0, got %d".formatted(modelId, epoch));
        }
        if (layerCount <= 0) {
            throw new PlanException("plan for model %s: layerCount must be positive, got %d".formatted(modelId, layerCount));
        }
        if (stages.isEmpty()) {
            throw new PlanException("plan for model %s has no stages".formatted(modelId));
        }
        int expectedStart = 0;
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            String where = "plan for model %s, epoch %d, stage %d".formatted(modelId, epoch, i);
            if (!s.modelId().equals(modelId)) {
                throw new PlanException(where + ": belongs to model " + s.modelId());
            }
            if (s.index() != i) {
                throw new PlanException(where + ": has index " + s.index());
            }
            if (s.layers().start() != expectedStart) {
                throw new PlanException(where + ": %s does not start at layer %d (ranges must be contiguous)".formatted(s.layers(), expectedStart));
            }
            if (s.embedding() != (i == 0)) {
                throw new PlanException(where + (i == 0 ? ": the first stage must embed tokens" : ": only the first stage embeds tokens"));
            }
            if (s.head() != (i == stages.size() - 1)) {
                throw new PlanException(where + (s.head() ? ": only the last stage applies the head" : ": the last stage must apply the head"));
            }
            expectedStart = s.layers().end();
        }
        if (expectedStart != layerCount) {
            throw new PlanException("plan for model %s, epoch %d: stages cover layers [0, %d) of %d".formatted(modelId, epoch, expectedStart, layerCount));
        }
    }

    public Stage first() {
        return stages.getFirst();
    }

    public Stage last() {
        return stages.getLast();
    }

    /** One line per stage, for logs and the CLI. */
    public String describe() {
        StringBuilder sb = new StringBuilder("plan for model %s, epoch %d:".formatted(modelId, epoch));
        for (Stage s : stages) {
            sb.append("\n  ").append(s.describe());
        }
        return sb.toString();
    }
}
