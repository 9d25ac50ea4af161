package dev.baremetalrt.backend.tensorrt;

/**
 * One response of brt_trtllm_await, built by the JNI layer.
 *
 * @param requestId    the executor's request id
 * @param isFinal      no more responses follow for this request
 * @param finishReason a {@code brt_finish_reason}: 0 not finished, 1 end id, 2 stop words, 3 length, 4 timed out,
 *                     5 cancelled, 6 error
 * @param tokens       tokens new since the request's previous response
 * @param error        the engine's message when the request failed, else null
 */
record NativeResponse(long requestId, boolean isFinal, int finishReason, int[] tokens, String error) {
    static final int END_ID = 1;
    static final int STOP_WORDS = 2;
    static final int LENGTH = 3;
    static final int TIMED_OUT = 4;
    static final int CANCELLED = 5;
}
