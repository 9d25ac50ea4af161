package dev.baremetalrt.backend.tensorrt;

/**
 * A failure reported by native code: a {@code brt_status} of brt_trtllm.h (1 invalid argument, 2 not found, 3 shut
 * down, 4 queue full, 5 engine error) or 100 when the library itself could not be loaded, with the library's message.
 */
final class NativeException extends RuntimeException {
    /** The library could not be loaded or is not an implementation of brt_trtllm.h. */
    static final int LOAD_FAILED = 100;

    private final int code;

    NativeException(int code, String message) { // called from JNI
        super(message);
        this.code = code;
    }

    int code() {
        return code;
    }
}
