package dev.baremetalrt.cluster;

import dev.baremetalrt.spi.ShardPlan;

/**
 * Event-bus addresses of stages: one per (model, stage index, node, layer range). A stage whose span a new
 * plan changes gets a new address, so a pipeline still on the old plan gets "no handlers" (and recovers
 * through the new epoch) instead of a shard that does not know its sessions.
 */
final class StageAddress {
    private StageAddress() {}

    static String of(ShardPlan.Stage stage) {
        return "brt.stage/%s/%d/%s/%d-%d".formatted(stage.modelId(), stage.index(), stage.node(), stage.layers().start(), stage.layers().end());
    }

    /** Header naming the operation of a stage request. */
    static final String OP = "op";
    static final String FORWARD = "forward";
    static final String OPEN = "open";
    static final String TRUNCATE = "truncate";
    static final String RELEASE = "release";
    /** Starts a generation on a whole-model engine's stage; its events go to the address in the body's {@code replyTo}. */
    static final String GENERATE = "generate";
    /** Cancels the generation whose event address is in the {@link #SESSION} header. */
    static final String CANCEL_GENERATION = "cancel-generation";
    /** Header carrying the session id of a control request. */
    static final String SESSION = "session";
    static final String LENGTH = "length";

    /** Failure codes of a stage's replies. */
    static final int SESSION_REFUSED = 1;
    static final int BACKEND_REFUSED = 2;
    static final int BAD_REQUEST = 3;
    static final int FAILED = 4;
    /** The stage has as many forwards queued as it takes; the sender pauses and retries. */
    static final int BUSY = 5;
}
