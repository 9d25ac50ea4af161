package dev.baremetalrt.backend.tensorrt;

/**
 * A failure reported by native code: a {@code brt_status} of brt_trtllm.h (1 invalid argument, 2 not found, 3 shut
 * down, 4 queue full, 5 engine error) or 100 when the library itself could not be loaded, with the library's message.
 */
final class NativeException extends RuntimeException {
    static final int INVALID_ARGUMENT = 1;
    static final int NOT_FOUND = 2;
    static final int SHUT_DOWN = 3;
    static final int QUEUE_FULL = 4;
    static final int ENGINE_ERROR = 5;
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
