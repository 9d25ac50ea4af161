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
    /**
     * Runs a batch here and hands the output straight to the next stage of {@link #ROUTE}; the last stage sends
     * the result to {@link #REPLY_TO}. The request itself is answered at once (accepted) or with {@link #BUSY}.
     */
    static final String FORWARD_CHAIN = "forward-chain";
    /** Header, once per stage after the receiving one, in order: the addresses the output still goes through. */
    static final String ROUTE = "route";
    /** Header: where the last stage of a chain sends its result, or any stage its failure. */
    static final String REPLY_TO = "reply-to";
    /** Header: the caller's id of a chain, echoed on its result. */
    static final String CHAIN = "chain";
    /** Header: the wire format of hidden states between the stages of a chain. */
    static final String WIRE = "wire";
    /** Header: how long each hop of a chain may take to be accepted, in milliseconds. */
    static final String TIMEOUT_MS = "timeout-ms";
    /** Header on a chain's result: 0 for a result, else one of the failure codes below, with the message as body. */
    static final String CODE = "code";
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
    /** A stage of a chain could not hand its output to the next stage (gone, not loaded, or busy past the timeout). */
    static final int UNREACHABLE = 6;
}
