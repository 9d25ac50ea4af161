/*
 * brt_trtllm.h: the small C ABI between BareMetalRT's JNI layer and a TensorRT-LLM Executor.
 *
 * Two libraries implement it: libbrt_trtllm.so built from ../trtllm/brt_trtllm.cpp against TensorRT-LLM's
 * Executor API (tensorrt_llm/executor/executor.h), and the test double built from
 * src/test/native/brt_trtllm_fake.c (a deterministic token generator, for CI without a GPU). The JNI layer
 * loads either one with dlopen and never links against it.
 *
 * Rules every implementation keeps:
 *  - No function lets a C++ exception escape: each returns a brt_status, and on failure sets a message
 *    that brt_trtllm_last_error() returns on the same thread until that thread's next call.
 *  - Every pointer argument is checked; NULL where a value is required is BRT_INVALID_ARGUMENT.
 *  - One thread may call brt_trtllm_await on an executor at a time (the response consumer); enqueue,
 *    cancel and stats may be called from any thread concurrently with it.
 *  - Memory returned by brt_trtllm_await (token arrays, error strings) belongs to the executor and stays
 *    valid until the next brt_trtllm_await on that executor, or brt_trtllm_destroy.
 */
#ifndef BRT_TRTLLM_H
#define BRT_TRTLLM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define BRT_TRTLLM_API __declspec(dllexport)
#else
#define BRT_TRTLLM_API __attribute__((visibility("default")))
#endif

/** Version of this ABI; the JNI layer refuses a library that reports another. */
#define BRT_TRTLLM_ABI_VERSION 1

typedef enum brt_status {
    BRT_OK = 0,
    BRT_INVALID_ARGUMENT = 1, /* a NULL pointer, an empty prompt, a non-positive max_tokens, bad JSON options */
    BRT_NOT_FOUND = 2,        /* no such engine directory, or an unknown request id */
    BRT_SHUT_DOWN = 3,        /* the executor was shut down */
    BRT_QUEUE_FULL = 4,       /* the executor refuses more requests now (max_queue_size) */
    BRT_ENGINE_ERROR = 5      /* TensorRT-LLM (or CUDA) raised an error; the message says which */
} brt_status;

/** Why a request stopped, as TensorRT-LLM's executor::FinishReason, plus BRT_FINISH_ERROR. */
typedef enum brt_finish_reason {
    BRT_FINISH_NOT_FINISHED = 0,
    BRT_FINISH_END_ID = 1,
    BRT_FINISH_STOP_WORDS = 2,
    BRT_FINISH_LENGTH = 3,
    BRT_FINISH_TIMED_OUT = 4,
    BRT_FINISH_CANCELLED = 5,
    BRT_FINISH_ERROR = 6
} brt_finish_reason;

typedef struct brt_trtllm_executor brt_trtllm_executor;

/** One generation request. Arrays are read during brt_trtllm_enqueue only. */
typedef struct brt_trtllm_request {
    const int32_t* input_ids;      /* prompt token ids, already tokenized (with BOS when the model wants one) */
    int32_t input_length;          /* > 0 */
    int32_t max_tokens;            /* > 0: most tokens to generate */
    int32_t streaming;             /* 1: one response per new token(s); 0: one final response */
    float temperature;             /* 0 means greedy */
    int32_t top_k;                 /* 0: off */
    float top_p;                   /* 0 or 1: off */
    float min_p;                   /* 0: off */
    float repetition_penalty;      /* 1: off */
    float presence_penalty;        /* 0: off */
    float frequency_penalty;       /* 0: off */
    int32_t has_seed;
    uint64_t seed;
    int32_t end_id;                /* < 0: none */
    const int32_t* stop_words;     /* concatenated token sequences that end the generation */
    const int32_t* stop_word_lengths;
    int32_t stop_word_count;
} brt_trtllm_request;

/** One response from brt_trtllm_await. */
typedef struct brt_trtllm_response {
    uint64_t request_id;
    int32_t is_final;              /* 1: no more responses for this request */
    int32_t finish_reason;         /* brt_finish_reason; NOT_FINISHED unless final */
    const int32_t* tokens;         /* the tokens new since the last response of this request */
    int32_t token_count;
    const char* error;             /* non-NULL when the request failed (then final, reason ERROR) */
} brt_trtllm_response;

/** Counters of the executor's latest iteration (TensorRT-LLM's IterationStats), -1 when unknown. */
typedef struct brt_trtllm_stats {
    int64_t iterations;
    int32_t active_requests;
    int32_t queued_requests;
    int32_t completed_requests;
    int32_t max_active_requests;
    double iteration_latency_ms;
    int64_t gpu_memory_bytes;
    int32_t kv_max_blocks;
    int32_t kv_free_blocks;
    int32_t kv_used_blocks;
    int32_t kv_tokens_per_block;
} brt_trtllm_stats;

/** The ABI version the library was built with (BRT_TRTLLM_ABI_VERSION). */
BRT_TRTLLM_API int32_t brt_trtllm_abi_version(void);

/** What runs underneath, e.g. "TensorRT-LLM 0.21.0" or "BareMetalRT test double". */
BRT_TRTLLM_API const char* brt_trtllm_version(void);

/**
 * Creates an executor for the engine in engine_dir (what trtllm-build wrote: config.json and rank*.engine).
 * options_json: a JSON object of flat options, or NULL/"" for defaults. The real library reads
 * max_beam_width, max_batch_size, max_num_tokens, kv_cache_free_gpu_memory_fraction, kv_cache_max_tokens,
 * enable_block_reuse, max_queue_size, iter_stats_max_iterations; unknown keys are an error.
 */
BRT_TRTLLM_API brt_status brt_trtllm_create(const char* engine_dir, const char* options_json, brt_trtllm_executor** out);

/** Enqueues a request; its id goes to *request_id. */
BRT_TRTLLM_API brt_status brt_trtllm_enqueue(brt_trtllm_executor* executor, const brt_trtllm_request* request, uint64_t* request_id);

/**
 * Waits up to timeout_ms (0: do not wait) for responses of any request and writes at most capacity of them
 * to out; their number goes to *count (0 on timeout).
 */
BRT_TRTLLM_API brt_status brt_trtllm_await(brt_trtllm_executor* executor, int32_t timeout_ms, brt_trtllm_response* out, int32_t capacity, int32_t* count);

/** Asks the executor to stop a request; its final response (reason CANCELLED) follows through await. */
BRT_TRTLLM_API brt_status brt_trtllm_cancel(brt_trtllm_executor* executor, uint64_t request_id);

/** The latest iteration's counters. */
BRT_TRTLLM_API brt_status brt_trtllm_stats_get(brt_trtllm_executor* executor, brt_trtllm_stats* out);

/**
 * Stops the executor: requests still running end (their final responses, if any, come through await with
 * reason CANCELLED), enqueue then fails with BRT_SHUT_DOWN, await returns BRT_SHUT_DOWN once nothing is left.
 * Idempotent.
 */
BRT_TRTLLM_API brt_status brt_trtllm_shutdown(brt_trtllm_executor* executor);

/** Shuts down if needed and frees the executor. NULL is ignored. */
BRT_TRTLLM_API void brt_trtllm_destroy(brt_trtllm_executor* executor);

/** The message of this thread's last failed call ("" when none). Valid until this thread's next call. */
BRT_TRTLLM_API const char* brt_trtllm_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* BRT_TRTLLM_H */
