package dev.baremetalrt.core.engine;

import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.NodeCapacity;
import dev.baremetalrt.spi.PlanException;
import dev.baremetalrt.spi.PlanRequest;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.spi.ShardPlanner;
import java.util.ArrayList;
import java.util.List;

/**
 * The default planner: each node gets a contiguous span of layers proportional to its measured speed,
 * capped by what fits in its free memory (the first node also holds the embedding, the last the head).
 * Spans are uneven when speeds or memory differ; nodes that end up with no layers are left out.
 */
public final class CapacityShardPlanner implements ShardPlanner {
    @Override
    public ShardPlan plan(PlanRequest request) {
        List<NodeCapacity> nodes = new ArrayList<>(request.nodes());
        if (nodes.isEmpty()) {
            throw new PlanException("cannot plan model %s: no nodes offered".formatted(request.modelId()));
        }
        while (true) {
            int[] counts = allocate(request, nodes);
            List<NodeCapacity> used = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                if (counts[i] > 0) {
                    used.add(nodes.get(i));
                }
            }
            if (used.size() == nodes.size()) {
                return toPlan(request, nodes, counts);
            }
            nodes = used; // the first/last node may have changed: allocate again with the right extras
        }
    }

    private static int[] allocate(PlanRequest request, List<NodeCapacity> nodes) {
        int n = nodes.size();
        int layers = request.layerCount();
        long[] caps = new long[n];
        long totalCap = 0;
        for (int i = 0; i < n; i++) {
            long free = nodes.get(i).freeMemoryBytes();
            if (i == 0) {
                free -= request.embeddingBytes();
            }
            if (i == n - 1) {
                free -= request.headBytes();
            }
            caps[i] = free < 0 ? 0 : request.bytesPerLayer() == 0 ? layers : Math.min(layers, free / request.bytesPerLayer());
            totalCap += caps[i];
        }
        if (totalCap < layers) {
            throw new PlanException(("cannot plan model %s: %d layers of %s (+%s embedding, +%s head) do not fit; "
                    + "the %d node(s) offer room for %d layers").formatted(request.modelId(), layers, size(request.bytesPerLayer()),
                    size(request.embeddingBytes()), size(request.headBytes()), n, totalCap));
        }
        // Water-filling: share proportional to speed among nodes not yet at their memory cap.
        double[] share = new double[n];
        boolean[] capped = new boolean[n];
        double remaining = layers;
        while (true) {
            double speed = 0;
            for (int i = 0; i < n; i++) {
                if (!capped[i]) {
                    speed += nodes.get(i).layersPerSecond();
                }
            }
            boolean changed = false;
            for (int i = 0; i < n; i++) {
                if (!capped[i]) {
                    share[i] = remaining * nodes.get(i).layersPerSecond() / speed;
                    if (share[i] > caps[i]) {
                        share[i] = caps[i];
                        capped[i] = true;
                        remaining -= caps[i];
                        changed = true;
                    }
                }
            }
            if (!changed) {
                break;
            }
        }
        // Round down, then hand out the remaining layers by largest fraction, respecting caps.
        int[] counts = new int[n];
        int assigned = 0;
        for (int i = 0; i < n; i++) {
            counts[i] = (int) Math.floor(share[i] + 1e-9);
            assigned += counts[i];
        }
        while (assigned < layers) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (counts[i] < caps[i] && (best < 0 || share[i] - counts[i] > share[best] - counts[best])) {
                    best = i;
                }
            }
            counts[best]++;
            assigned++;
        }
        return counts;
    }

    private static ShardPlan toPlan(PlanRequest request, List<NodeCapacity> nodes, int[] counts) {
        List<ShardPlan.Stage> stages = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < nodes.size(); i++) {
            NodeCapacity node = nodes.get(i);
            stages.add(new ShardPlan.Stage(request.modelId(), i, node.node(), node.backend(), new LayerRange(start, start + counts[i]),
                    i == 0, i == nodes.size() - 1));
            start += counts[i];
        }
        return new ShardPlan(request.modelId(), request.epoch(), request.layerCount(), stages);
    }

    /** Bytes in the largest unit that keeps a whole number in front: KiB for a tiny model, GiB for a big one. */
    static String size(long bytes) {
        if (bytes >= 10L << 30) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes >= 10L << 20) {
            return (bytes >> 20) + " MiB";
        }
        return bytes >= 10L << 10 ? (bytes >> 10) + " KiB" : bytes + " bytes";
    }
}
