/*
 * JNI layer of the tensorrt-llm backend over the C ABI of brt_trtllm.h. The implementation library (the real
 * one or the test double) is opened with dlopen and its functions looked up by name, so this library builds
 * with gcc alone and loads on machines without TensorRT-LLM. Every failure becomes a
 * dev.baremetalrt.backend.tensorrt.NativeException(code, message); nothing here aborts the JVM. Arguments are
 * also checked on the Java side (NativeExecutor); the checks here are the last line.
 */
#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#include <windows.h>
#define LIB_OPEN(path) ((void*) LoadLibraryA(path))
#define LIB_SYM(lib, name) ((void*) GetProcAddress((HMODULE) (lib), name))
#define LIB_CLOSE(lib) FreeLibrary((HMODULE) (lib))
static const char* lib_error(void) { return "LoadLibrary failed"; }
#else
#include <dlfcn.h>
#define LIB_OPEN(path) dlopen(path, RTLD_NOW | RTLD_LOCAL)
#define LIB_SYM(lib, name) dlsym(lib, name)
#define LIB_CLOSE(lib) dlclose(lib)
static const char* lib_error(void) { const char* e = dlerror(); return e ? e : "unknown error"; }
#endif

#include "brt_trtllm.h"

#define MAX_RESPONSES 256
#define CODE_LOAD_FAILED 100 /* not a brt_status: the library itself could not be used */

typedef struct api {
    void* library;
    int32_t (*abi_version)(void);
    const char* (*version)(void);
    brt_status (*create)(const char*, const char*, brt_trtllm_executor**);
    brt_status (*enqueue)(brt_trtllm_executor*, const brt_trtllm_request*, uint64_t*);
    brt_status (*await)(brt_trtllm_executor*, int32_t, brt_trtllm_response*, int32_t, int32_t*);
    brt_status (*cancel)(brt_trtllm_executor*, uint64_t);
    brt_status (*stats)(brt_trtllm_executor*, brt_trtllm_stats*);
    brt_status (*shutdown)(brt_trtllm_executor*);
    void (*destroy)(brt_trtllm_executor*);
    const char* (*last_error)(void);
} api;

static void throw_native(JNIEnv* env, jint code, const char* message) {
    if ((*env)->ExceptionCheck(env)) {
        return;
    }
    jclass type = (*env)->FindClass(env, "dev/baremetalrt/backend/tensorrt/NativeException");
    if (type == NULL) {
        return; /* NoClassDefFoundError is pending */
    }
    jmethodID init = (*env)->GetMethodID(env, type, "<init>", "(ILjava/lang/String;)V");
    jstring text = (*env)->NewStringUTF(env, message);
    if (init != NULL && text != NULL) {
        jobject error = (*env)->NewObject(env, type, init, code, text);
        if (error != NULL) {
            (*env)->Throw(env, (jthrowable) error);
        }
    }
}

/* Throws for a failed status with the implementation's message. */
static int failed(JNIEnv* env, const api* a, brt_status status) {
    if (status == BRT_OK) {
        return 0;
    }
    const char* message = a->last_error();
    throw_native(env, (jint) status, message != NULL && message[0] != '\0' ? message : "no message from the library");
    return 1;
}

static const api* checked(JNIEnv* env, jlong handle, jlong executor, int needs_executor) {
    if (handle == 0 || (needs_executor && executor == 0)) {
        throw_native(env, BRT_INVALID_ARGUMENT, "the library or executor handle is closed");
        return NULL;
    }
    return (const api*) (intptr_t) handle;
}

JNIEXPORT jlong JNICALL Java_dev_baremetalrt_backend_tensorrt_NativeLibrary_open(JNIEnv* env, jclass cls, jstring path) {
    (void) cls;
    if (path == NULL) {
        throw_native(env, BRT_INVALID_ARGUMENT, "library path is null");
        return 0;
    }
    const char* file = (*env)->GetStringUTFChars(env, path, NULL);
    if (file == NULL) {
        return 0;
    }
    char message[1024];
    void* library = LIB_OPEN(file);
    if (library == NULL) {
        snprintf(message, sizeof message, "cannot load %s: %s", file, lib_error());
        (*env)->ReleaseStringUTFChars(env, path, file);
        throw_native(env, CODE_LOAD_FAILED, message);
        return 0;
    }
    api* a = calloc(1, sizeof *a);
    if (a == NULL) {
        LIB_CLOSE(library);
        (*env)->ReleaseStringUTFChars(env, path, file);
        throw_native(env, CODE_LOAD_FAILED, "out of memory");
        return 0;
    }
    a->library = library;
    const char* missing = NULL;
#define BIND(field, name) do { *(void**) (&a->field) = LIB_SYM(library, name); if (a->field == NULL && missing == NULL) missing = name; } while (0)
    BIND(abi_version, "brt_trtllm_abi_version");
    BIND(version, "brt_trtllm_version");
    BIND(create, "brt_trtllm_create");
    BIND(enqueue, "brt_trtllm_enqueue");
    BIND(await, "brt_trtllm_await");
    BIND(cancel, "brt_trtllm_cancel");
    BIND(stats, "brt_trtllm_stats_get");
    BIND(shutdown, "brt_trtllm_shutdown");
    BIND(destroy, "brt_trtllm_destroy");
    BIND(last_error, "brt_trtllm_last_error");
#undef BIND
    if (missing != NULL || a->abi_version() != BRT_TRTLLM_ABI_VERSION) {
        if (missing != NULL) {
            snprintf(message, sizeof message, "%s does not implement brt_trtllm.h: no symbol %s", file, missing);
        } else {
            snprintf(message, sizeof message, "%s implements brt_trtllm.h ABI %d, this JNI layer needs %d", file, a->abi_version(), BRT_TRTLLM_ABI_VERSION);
        }
        LIB_CLOSE(library);
        free(a);
        (*env)->ReleaseStringUTFChars(env, path, file);
        throw_native(env, CODE_LOAD_FAILED, message);
        return 0;
    }
    (*env)->ReleaseStringUTFChars(env, path, file);
    return (jlong) (intptr_t) a;
}

JNIEXPORT jstring JNICALL Java_dev_baremetalrt_backend_tensorrt_NativeLibrary_version(JNIEnv* env, jclass cls, jlong handle) {
    (void) cls;
    const api* a = checked(env, handle, 1, 0);
    if (a == NULL) {
        return NULL;
    }
    const char* v = a->version();
    return (*env)->NewStringUTF(env, v != NULL ? v : "");
}

JNIEXPORT jlong JNICALL Java_dev_baremetalrt_backend_tensorrt_NativeLibrary_create(JNIEnv* env, jclass cls, jlong handle, jstring engine_dir, jstring options) {
    (void) cls;
    const api* a = checked(env, handle, 1, 0);
    if (a == NULL) {
        return 0;
    }
    if (engine_dir == NULL) {
        throw_native(env, BRT_INVALID_ARGUMENT, "engine directory is null");
        return 0;
    }
    const char* dir = (*env)->GetStringUTFChars(env, engine_dir, NULL);
    const char* json = options == NULL ? NULL : (*env)->GetStringUTFChars(env, options, NULL);
    brt_trtllm_executor* executor = NULL;
    brt_status status = dir == NULL ? BRT_INVALID_ARGUMENT : a->create(dir, json, &executor);
    if (dir != NULL) (*env)->ReleaseStringUTFChars(env, engine_dir, dir);
    if (json != NULL) (*env)->ReleaseStringUTFChars(env, options, json);
    if ((*env)->ExceptionCheck(env) || failed(env, a, status)) {
        return 0;
    }
    return (jlong) (intptr_t) executor;
}

JNIEXPORT jlong JNICALL Java_dev_baremetalrt_backend_tensorrt_NativeLibrary_enqueue(JNIEnv* env, jclass cls, jlong handle, jlong executor,
        jintArray input_ids, jint max_tokens, jboolean streaming, jfloatArray floats, jint top_k, jboolean has_seed, jlong seed, jint end_id,
        jintArray stop_words, jintArray stop_word_lengths) {
    (void) cls;
    const api* a = checked(env, handle, executor, 1);
    if (a == NULL) {
        return 0;
    }
    if (input_ids == NULL || floats == NULL || (*env)->GetArrayLength(env, floats) != 6
            || (stop_words == NULL) != (stop_word_lengths == NULL)) {
        throw_native(env, BRT_INVALID_ARGUMENT, "enqueue: input ids and 6 sampling floats are required; stop words need their lengths");
        return 0;
    }
    jfloat f[6];
    (*env)->GetFloatArrayRegion(env, floats, 0, 6, f);
    brt_trtllm_request request;
    memset(&request, 0, sizeof request);
    request.input_length = (*env)->GetArrayLength(env, input_ids);
    request.max_tokens = max_tokens;
    request.streaming = streaming ? 1 : 0;
    request.temperature = f[0];
    request.top_p = f[1];
    request.min_p = f[2];
    request.repetition_penalty = f[3];
    request.presence_penalty = f[4];
    request.frequency_penalty = f[5];
    request.top_k = top_k;
    request.has_seed = has_seed ? 1 : 0;
    request.seed = (uint64_t) seed;
    request.end_id = end_id;
    jint* ids = (*env)->GetIntArrayElements(env, input_ids, NULL);
    jint* words = NULL;
    jint* lengths = NULL;
    if (stop_words != NULL) {
        jsize count = (*env)->GetArrayLength(env, stop_word_lengths);
        jsize total = (*env)->GetArrayLength(env, stop_words);
        lengths = (*env)->GetIntArrayElements(env, stop_word_lengths, NULL);
        long sum = 0;
        for (jsize i = 0; lengths != NULL && i < count; i++) {
            sum += lengths[i] > 0 ? lengths[i] : 0;
        }
        if (lengths == NULL || sum != total) {
            if (ids != NULL) (*env)->ReleaseIntArrayElements(env, input_ids, ids, JNI_ABORT);
            if (lengths != NULL) (*env)->ReleaseIntArrayElements(env, stop_word_lengths, lengths, JNI_ABORT);
            throw_native(env, BRT_INVALID_ARGUMENT, "enqueue: stop word lengths do not add up to the stop word tokens");
            return 0;
        }
        words = (*env)->GetIntArrayElements(env, stop_words, NULL);
        request.stop_word_count = count;
        request.stop_word_lengths = (const int32_t*) lengths;
        request.stop_words = (const int32_t*) words;
    }
    uint64_t id = 0;
    brt_status status = ids == NULL ? BRT_INVALID_ARGUMENT : BRT_OK;
    if (status == BRT_OK) {
        request.input_ids = (const int32_t*) ids;
        status = a->enqueue((brt_trtllm_executor*) (intptr_t) executor, &request, &id);
    }
    if (ids != NULL) (*env)->ReleaseIntArrayElements(env, input_ids, ids, JNI_ABORT);
    if (words != NULL) (*env)->ReleaseIntArrayElements(env, stop_words, words, JNI_ABORT);
    if (lengths != NULL) (*env)->ReleaseIntArrayElements(env, stop_word_lengths, lengths, JNI_ABORT);
    if ((*env)->ExceptionCheck(env) || failed(env, a, status)) {
        return 0;
    }
    return (jlong) id;
}

/* Returns NativeResponse[] (empty on timeout), or null once the executor is shut down and drained. */
JNIEXPORT jobjectArray JNICALL Java_dev_baremetalrt_backend_tensorrt_NativeLibrary_await(JNIEnv* env, jclass cls, jlong handle, jlong executor, jint timeout_ms) {
    (void) cls;
    const api* a = checked(env, handle, executor, 1);
    if (a == NULL) {
        return NULL;
    }
    jclass type = (*env)->FindClass(env, "dev/baremetalrt/backend/tensorrt/NativeResponse");
    if (type == NULL) {
        return NULL;
    }
    jmethodID init = (*env)->GetMethodID(env, type, "<init>", "(JZI[ILjava/lang/String;)V");
    if (init == NULL) {
        return NULL;
    }
    brt_trtllm_response responses[MAX_RESPONSES];
    int32_t count = 0;
    brt_status status = a->await((brt_trtllm_executor*) (intptr_t) executor, timeout_ms < 0 ? 0 : timeout_ms, responses, MAX_RESPONSES, &count);
    if (status == BRT_SHUT_DOWN) {
        return NULL;
    }
    if (failed(env, a, status)) {
        return NULL;
    }
    if (count < 0 || count > MAX_RESPONSES) {
        throw_native(env, BRT_ENGINE_ERROR, "await: the library reported an impossible response count");
        return NULL;
    }
    jobjectArray result = (*env)->NewObjectArray(env, count, type, NULL);
    for (int32_t i = 0; result != NULL && i < count; i++) {
        brt_trtllm_response* r = &responses[i];
        int32_t n = r->tokens == NULL || r->token_count < 0 ? 0 : r->token_count;
        jintArray tokens = (*env)->NewIntArray(env, n);
        if (tokens == NULL) {
            return NULL;
        }
        if (n > 0) {
            (*env)->SetIntArrayRegion(env, tokens, 0, n, (const jint*) r->tokens);
        }
        jstring error = r->error == NULL ? NULL : (*env)->NewStringUTF(env, r->error);
        jobject response = (*env)->NewObject(env, type, init, (jlong) r->request_id, r->is_final ? JNI_TRUE : JNI_FALSE,
                (jint) r->finish_reason, tokens, error);
        if (response == NULL) {
            return NULL;
        }
        (*env)->SetObjectArrayElement(env, result, i, response);
        (*env)->DeleteLocalRef(env, response);
        (*env)->DeleteLocalRef(env, tokens);
        if (error != NULL) (*env)->DeleteLocalRef(env, error);
    }
    return result;
}

JNIEXPORT void JNICALL Java_dev_baremetalrt_backend_tensorrt_NativeLibrary_cancel(JNIEnv* env, jclass cls, jlong handle, jlong executor, jlong request_id) {
    (void) cls;
    const api* a = checked(env, handle, executor, 1);
    if (a != NULL) {
        failed(env, a, a->cancel((brt_trtllm_executor*) (intptr_t) executor, (uint64_t) request_id));
    }
}

JNIEXPORT jdoubleArray JNICALL Java_dev_baremetalrt_backend_tensorrt_NativeLibrary_stats(JNIEnv* env, jclass cls, jlong handle, jlong executor) {
    (void) cls;
    const api* a = checked(env, handle, executor, 1);
    if (a == NULL) {
        return NULL;
    }
    brt_trtllm_stats s;
    memset(&s, 0, sizeof s);
    if (failed(env, a, a->stats((brt_trtllm_executor*) (intptr_t) executor, &s))) {
        return NULL;
    }
    jdouble values[11] = {(jdouble) s.iterations, s.active_requests, s.queued_requests, s.completed_requests, s.max_active_requests,
            s.iteration_latency_ms, (jdouble) s.gpu_memory_bytes, s.kv_max_blocks, s.kv_free_blocks, s.kv_used_blocks, s.kv_tokens_per_block};
    jdoubleArray result = (*env)->NewDoubleArray(env, 11);
    if (result != NULL) {
        (*env)->SetDoubleArrayRegion(env, result, 0, 11, values);
    }
    return result;
}

JNIEXPORT void JNICALL Java_dev_baremetalrt_backend_tensorrt_NativeLibrary_shutdown(JNIEnv* env, jclass cls, jlong handle, jlong executor) {
    (void) cls;
    const api* a = checked(env, handle, executor, 1);
    if (a != NULL) {
        failed(env, a, a->shutdown((brt_trtllm_executor*) (intptr_t) executor));
    }
}

JNIEXPORT void JNICALL Java_dev_baremetalrt_backend_tensorrt_NativeLibrary_destroy(JNIEnv* env, jclass cls, jlong handle, jlong executor) {
    (void) cls;
    const api* a = checked(env, handle, executor, 1);
    if (a != NULL) {
        a->destroy((brt_trtllm_executor*) (intptr_t) executor);
    }
}
