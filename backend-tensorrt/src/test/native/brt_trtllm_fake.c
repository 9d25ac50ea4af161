/*
 * The test double of brt_trtllm.h: a deterministic token generator with TensorRT-LLM's request life cycle
 * (streaming or one final response, end id, stop words, max tokens, cancellation, a bounded queue, shutdown),
 * so that CI drives the whole Java + JNI path without a GPU. It is not an inference engine.
 *
 * The engine directory must exist and hold config.json, as a trtllm-build output does. Options (flat JSON,
 * numbers only): vocab_size (default 32000), step_us (time per generated token, default 2000), max_queue_size
 * (default 64), fail_on_token (a prompt holding this id gets an engine error response, default -1).
 *
 * Token rule (TokenRule.java in the tests computes the same): starting from the last prompt token,
 *   next = (last * 1103515245 + 12345 + position * 2654435761 + mix) mod vocab_size,
 * where position counts generated tokens from 0 and mix is the seed when temperature > 0, else 0.
 */
#include "brt_trtllm.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static __thread char last_error[512];

static brt_status fail(brt_status status, const char* format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(last_error, sizeof last_error, format, args);
    va_end(args);
    return status;
}

typedef struct fake_request {
    uint64_t id;
    int32_t* generated;      /* every generated token */
    int32_t generated_count;
    int32_t delivered;       /* generated tokens already sent in a response */
    int32_t max_tokens;
    int32_t streaming;
    int32_t end_id;
    uint64_t mix;
    uint32_t last;
    int32_t* stop_words;
    int32_t* stop_word_lengths;
    int32_t stop_word_count;
    int fail;
    int cancelled;
    struct fake_request* next;
} fake_request;

typedef struct fake_response {
    brt_trtllm_response response;
    struct fake_response* next;
} fake_response;

struct brt_trtllm_executor {
    pthread_mutex_t mutex;
    pthread_cond_t responses_ready;
    pthread_t worker;
    int worker_started;
    int shut_down;
    uint32_t vocab_size;
    long step_us;
    int32_t max_queue_size;
    int32_t fail_on_token;
    uint64_t next_id;
    int32_t active_count;
    int64_t iterations;
    int32_t completed;
    fake_request* active;
    fake_response* head;
    fake_response* tail;
    fake_response* handed_out; /* returned by the last await; freed by the next one */
};

int32_t brt_trtllm_abi_version(void) { return BRT_TRTLLM_ABI_VERSION; }

const char* brt_trtllm_version(void) { return "BareMetalRT test double of brt_trtllm.h (deterministic tokens, no model)"; }

const char* brt_trtllm_last_error(void) { return last_error; }

/* Reads {"key": number, ...}; unknown keys and anything but numbers are an error. */
static brt_status parse_options(brt_trtllm_executor* e, const char* json) {
    if (json == NULL || json[0] == '\0') {
        return BRT_OK;
    }
    const char* p = json;
    while (*p == ' ') p++;
    if (*p++ != '{') return fail(BRT_INVALID_ARGUMENT, "options must be a JSON object, got: %.80s", json);
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\n') p++;
        if (*p == '}') return BRT_OK;
        if (*p++ != '"') return fail(BRT_INVALID_ARGUMENT, "options: expected a key at: %.40s", p - 1);
        const char* key = p;
        while (*p && *p != '"') p++;
        if (*p != '"') return fail(BRT_INVALID_ARGUMENT, "options: unterminated key");
        size_t key_length = (size_t) (p - key);
        p++;
        while (*p == ' ') p++;
        if (*p++ != ':') return fail(BRT_INVALID_ARGUMENT, "options: expected ':' after a key");
        char* end;
        double value = strtod(p, &end);
        if (end == p) return fail(BRT_INVALID_ARGUMENT, "options: the value of %.*s is not a number", (int) key_length, key);
        p = end;
        if (key_length == 10 && strncmp(key, "vocab_size", 10) == 0 && value >= 1) e->vocab_size = (uint32_t) value;
        else if (key_length == 7 && strncmp(key, "step_us", 7) == 0 && value >= 0) e->step_us = (long) value;
        else if (key_length == 14 && strncmp(key, "max_queue_size", 14) == 0 && value >= 1) e->max_queue_size = (int32_t) value;
        else if (key_length == 13 && strncmp(key, "fail_on_token", 13) == 0) e->fail_on_token = (int32_t) value;
        else return fail(BRT_INVALID_ARGUMENT, "options: unknown key or bad value: %.*s", (int) key_length, key);
    }
}

static void push_response(brt_trtllm_executor* e, fake_request* r, int final, int reason, const char* error) {
    fake_response* node = calloc(1, sizeof *node);
    int32_t count = r->generated_count - r->delivered;
    int32_t* tokens = NULL;
    if (count > 0) {
        tokens = malloc(sizeof(int32_t) * (size_t) count);
        memcpy(tokens, r->generated + r->delivered, sizeof(int32_t) * (size_t) count);
    }
    r->delivered = r->generated_count;
    node->response.request_id = r->id;
    node->response.is_final = final;
    node->response.finish_reason = reason;
    node->response.tokens = tokens;
    node->response.token_count = count;
    node->response.error = error == NULL ? NULL : strdup(error);
    if (e->tail) e->tail->next = node; else e->head = node;
    e->tail = node;
    pthread_cond_broadcast(&e->responses_ready);
}

static void free_request(fake_request* r) {
    free(r->generated);
    free(r->stop_words);
    free(r->stop_word_lengths);
    free(r);
}

static int ends_with_stop_word(fake_request* r) {
    int32_t offset = 0;
    for (int32_t w = 0; w < r->stop_word_count; w++) {
        int32_t length = r->stop_word_lengths[w];
        if (length > 0 && length <= r->generated_count
                && memcmp(r->generated + r->generated_count - length, r->stop_words + offset, sizeof(int32_t) * (size_t) length) == 0) {
            return 1;
        }
        offset += length;
    }
    return 0;
}

/* One iteration: every active request gets one token or ends. Called with the mutex held. */
static void step(brt_trtllm_executor* e) {
    e->iterations++;
    fake_request** link = &e->active;
    while (*link) {
        fake_request* r = *link;
        int reason = BRT_FINISH_NOT_FINISHED;
        const char* error = NULL;
        if (r->cancelled) {
            reason = BRT_FINISH_CANCELLED;
        } else if (r->fail) {
            reason = BRT_FINISH_ERROR;
            error = "test double: injected engine failure (the prompt holds fail_on_token)";
        } else {
            uint32_t position = (uint32_t) r->generated_count;
            uint32_t next = (uint32_t) ((r->last * 1103515245ull + 12345ull + position * 2654435761ull + r->mix) % e->vocab_size);
            r->last = next;
            if ((int32_t) next == r->end_id) {
                reason = BRT_FINISH_END_ID; /* the end id itself is not part of the output, as in TensorRT-LLM */
            } else {
                r->generated[r->generated_count++] = (int32_t) next;
                if (ends_with_stop_word(r)) reason = BRT_FINISH_STOP_WORDS;
                else if (r->generated_count >= r->max_tokens) reason = BRT_FINISH_LENGTH;
            }
        }
        if (reason != BRT_FINISH_NOT_FINISHED) {
            push_response(e, r, 1, reason, error);
            *link = r->next;
            e->active_count--;
            e->completed++;
            free_request(r);
        } else {
            if (r->streaming) push_response(e, r, 0, BRT_FINISH_NOT_FINISHED, NULL);
            link = &r->next;
        }
    }
}

static void* worker_main(void* arg) {
    brt_trtllm_executor* e = arg;
    pthread_mutex_lock(&e->mutex);
    while (!(e->shut_down && e->active == NULL)) {
        if (e->active != NULL) step(e);
        pthread_mutex_unlock(&e->mutex);
        struct timespec pause = {e->step_us / 1000000, (e->step_us % 1000000) * 1000};
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&e->mutex);
    }
    pthread_cond_broadcast(&e->responses_ready);
    pthread_mutex_unlock(&e->mutex);
    return NULL;
}

brt_status brt_trtllm_create(const char* engine_dir, const char* options_json, brt_trtllm_executor** out) {
    if (engine_dir == NULL || out == NULL) return fail(BRT_INVALID_ARGUMENT, "engine_dir and out must not be NULL");
    char config[4096];
    struct stat st;
    if (snprintf(config, sizeof config, "%s/config.json", engine_dir) >= (int) sizeof config || stat(config, &st) != 0) {
        return fail(BRT_NOT_FOUND, "engine directory %s has no config.json (is it what trtllm-build wrote?)", engine_dir);
    }
    brt_trtllm_executor* e = calloc(1, sizeof *e);
    if (e == NULL) return fail(BRT_ENGINE_ERROR, "out of memory");
    e->vocab_size = 32000;
    e->step_us = 2000;
    e->max_queue_size = 64;
    e->fail_on_token = -1;
    e->next_id = 1;
    brt_status status = parse_options(e, options_json);
    if (status != BRT_OK) {
        free(e);
        return status;
    }
    pthread_mutex_init(&e->mutex, NULL);
    pthread_cond_init(&e->responses_ready, NULL);
    if (pthread_create(&e->worker, NULL, worker_main, e) != 0) {
        free(e);
        return fail(BRT_ENGINE_ERROR, "cannot start the worker thread: %s", strerror(errno));
    }
    e->worker_started = 1;
    *out = e;
    return BRT_OK;
}

brt_status brt_trtllm_enqueue(brt_trtllm_executor* e, const brt_trtllm_request* q, uint64_t* request_id) {
    if (e == NULL || q == NULL || request_id == NULL) return fail(BRT_INVALID_ARGUMENT, "executor, request and request_id must not be NULL");
    if (q->input_ids == NULL || q->input_length <= 0) return fail(BRT_INVALID_ARGUMENT, "the prompt is empty");
    if (q->max_tokens <= 0) return fail(BRT_INVALID_ARGUMENT, "max_tokens must be positive, got %d", q->max_tokens);
    if (q->stop_word_count < 0 || (q->stop_word_count > 0 && (q->stop_words == NULL || q->stop_word_lengths == NULL))) {
        return fail(BRT_INVALID_ARGUMENT, "stop words are malformed");
    }
    int32_t stop_total = 0;
    for (int32_t w = 0; w < q->stop_word_count; w++) {
        if (q->stop_word_lengths[w] <= 0) return fail(BRT_INVALID_ARGUMENT, "stop word %d is empty", w);
        stop_total += q->stop_word_lengths[w];
    }
    for (int32_t i = 0; i < q->input_length; i++) {
        if (q->input_ids[i] < 0 || (uint32_t) q->input_ids[i] >= e->vocab_size) {
            return fail(BRT_INVALID_ARGUMENT, "input token %d at %d is outside the vocabulary of %u", q->input_ids[i], i, e->vocab_size);
        }
    }
    fake_request* r = calloc(1, sizeof *r);
    r->generated = malloc(sizeof(int32_t) * (size_t) q->max_tokens);
    r->max_tokens = q->max_tokens;
    r->streaming = q->streaming;
    r->end_id = q->end_id;
    r->last = (uint32_t) q->input_ids[q->input_length - 1];
    r->mix = q->temperature > 0 && q->has_seed ? q->seed : 0;
    r->stop_word_count = q->stop_word_count;
    if (stop_total > 0) {
        r->stop_words = malloc(sizeof(int32_t) * (size_t) stop_total);
        memcpy(r->stop_words, q->stop_words, sizeof(int32_t) * (size_t) stop_total);
        r->stop_word_lengths = malloc(sizeof(int32_t) * (size_t) q->stop_word_count);
        memcpy(r->stop_word_lengths, q->stop_word_lengths, sizeof(int32_t) * (size_t) q->stop_word_count);
    }
    for (int32_t i = 0; i < q->input_length; i++) {
        if (q->input_ids[i] == e->fail_on_token) r->fail = 1;
    }
    pthread_mutex_lock(&e->mutex);
    if (e->shut_down) {
        pthread_mutex_unlock(&e->mutex);
        free_request(r);
        return fail(BRT_SHUT_DOWN, "the executor is shut down");
    }
    if (e->active_count >= e->max_queue_size) {
        int32_t limit = e->max_queue_size;
        pthread_mutex_unlock(&e->mutex);
        free_request(r);
        return fail(BRT_QUEUE_FULL, "the executor holds %d requests, its max_queue_size", limit);
    }
    r->id = e->next_id++;
    r->next = e->active;
    e->active = r;
    e->active_count++;
    *request_id = r->id;
    pthread_mutex_unlock(&e->mutex);
    return BRT_OK;
}

static void free_responses(fake_response* node) {
    while (node) {
        fake_response* next = node->next;
        free((void*) node->response.tokens);
        free((void*) node->response.error);
        free(node);
        node = next;
    }
}

brt_status brt_trtllm_await(brt_trtllm_executor* e, int32_t timeout_ms, brt_trtllm_response* out, int32_t capacity, int32_t* count) {
    if (e == NULL || out == NULL || count == NULL || capacity <= 0) return fail(BRT_INVALID_ARGUMENT, "executor, out and count must be set and capacity positive");
    *count = 0;
    pthread_mutex_lock(&e->mutex);
    free_responses(e->handed_out);
    e->handed_out = NULL;
    if (e->head == NULL && !(e->shut_down && e->active == NULL) && timeout_ms > 0) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        while (e->head == NULL && !(e->shut_down && e->active == NULL)) {
            if (pthread_cond_timedwait(&e->responses_ready, &e->mutex, &deadline) == ETIMEDOUT) break;
        }
    }
    if (e->head == NULL && e->shut_down && e->active == NULL) {
        pthread_mutex_unlock(&e->mutex);
        return fail(BRT_SHUT_DOWN, "the executor is shut down and every response was delivered");
    }
    fake_response* taken = NULL;
    fake_response** tail = &taken;
    while (e->head != NULL && *count < capacity) {
        fake_response* node = e->head;
        e->head = node->next;
        node->next = NULL;
        out[(*count)++] = node->response;
        *tail = node;
        tail = &node->next;
    }
    if (e->head == NULL) e->tail = NULL;
    e->handed_out = taken;
    pthread_mutex_unlock(&e->mutex);
    return BRT_OK;
}

brt_status brt_trtllm_cancel(brt_trtllm_executor* e, uint64_t request_id) {
    if (e == NULL) return fail(BRT_INVALID_ARGUMENT, "executor must not be NULL");
    pthread_mutex_lock(&e->mutex);
    for (fake_request* r = e->active; r; r = r->next) {
        if (r->id == request_id) r->cancelled = 1;
    }
    pthread_mutex_unlock(&e->mutex);
    return BRT_OK; /* like TensorRT-LLM: cancelling a finished or unknown request does nothing */
}

brt_status brt_trtllm_stats_get(brt_trtllm_executor* e, brt_trtllm_stats* out) {
    if (e == NULL || out == NULL) return fail(BRT_INVALID_ARGUMENT, "executor and out must not be NULL");
    pthread_mutex_lock(&e->mutex);
    out->iterations = e->iterations;
    out->active_requests = e->active_count;
    out->queued_requests = 0;
    out->completed_requests = e->completed;
    out->max_active_requests = e->max_queue_size;
    out->iteration_latency_ms = (double) e->step_us / 1000.0;
    out->gpu_memory_bytes = -1;
    out->kv_max_blocks = -1;
    out->kv_free_blocks = -1;
    out->kv_used_blocks = -1;
    out->kv_tokens_per_block = -1;
    pthread_mutex_unlock(&e->mutex);
    return BRT_OK;
}

brt_status brt_trtllm_shutdown(brt_trtllm_executor* e) {
    if (e == NULL) return fail(BRT_INVALID_ARGUMENT, "executor must not be NULL");
    pthread_mutex_lock(&e->mutex);
    int join = e->worker_started && !e->shut_down;
    e->shut_down = 1;
    for (fake_request* r = e->active; r; r = r->next) r->cancelled = 1;
    pthread_cond_broadcast(&e->responses_ready);
    pthread_mutex_unlock(&e->mutex);
    if (join) pthread_join(e->worker, NULL);
    return BRT_OK;
}

void brt_trtllm_destroy(brt_trtllm_executor* e) {
    if (e == NULL) return;
    brt_trtllm_shutdown(e);
    free_responses(e->handed_out);
    free_responses(e->head);
    pthread_mutex_destroy(&e->mutex);
    pthread_cond_destroy(&e->responses_ready);
    free(e);
}
