// brt_trtllm.cpp: brt_trtllm.h implemented against TensorRT-LLM's Executor API
// (tensorrt_llm/executor/executor.h). Every entry point catches every exception and turns it into a brt_status
// with a thread-local message: nothing thrown here may cross into the JVM.
#include "brt_trtllm.h"

#include "tensorrt_llm/executor/executor.h"
#include "tensorrt_llm/plugins/api/tllmPlugin.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iterator>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace tle = tensorrt_llm::executor;

namespace {

thread_local std::string lastError;

brt_status fail(brt_status status, std::string message) {
    lastError = std::move(message);
    return status;
}

// Minimal reader for the flat options object: {"key": number or true/false, ...}.
class Options {
public:
    explicit Options(char const* json) {
        if (json == nullptr || *json == '\0') {
            return;
        }
        std::string s(json);
        size_t i = s.find_first_not_of(" \t\r\n");
        if (i == std::string::npos || s[i] != '{') {
            throw std::invalid_argument("options must be a JSON object");
        }
        ++i;
        while (true) {
            i = s.find_first_not_of(" \t\r\n,", i);
            if (i == std::string::npos) {
                throw std::invalid_argument("options: unterminated object");
            }
            if (s[i] == '}') {
                break;
            }
            if (s[i] != '"') {
                throw std::invalid_argument("options: expected a key at offset " + std::to_string(i));
            }
            size_t keyEnd = s.find('"', i + 1);
            if (keyEnd == std::string::npos) {
                throw std::invalid_argument("options: unterminated key");
            }
            std::string key = s.substr(i + 1, keyEnd - i - 1);
            i = s.find_first_not_of(" \t\r\n", keyEnd + 1);
            if (i == std::string::npos || s[i] != ':') {
                throw std::invalid_argument("options: expected ':' after " + key);
            }
            i = s.find_first_not_of(" \t\r\n", i + 1);
            size_t valueEnd = s.find_first_of(",} \t\r\n", i);
            std::string value = s.substr(i, valueEnd == std::string::npos ? std::string::npos : valueEnd - i);
            values[key] = value;
            i = valueEnd;
        }
    }

    std::optional<double> number(std::string const& key) {
        auto it = values.find(key);
        if (it == values.end()) {
            return std::nullopt;
        }
        used.push_back(key);
        char* end = nullptr;
        double v = std::strtod(it->second.c_str(), &end);
        if (end == it->second.c_str() || *end != '\0') {
            throw std::invalid_argument("options: " + key + " must be a number, got " + it->second);
        }
        return v;
    }

    std::optional<bool> flag(std::string const& key) {
        auto it = values.find(key);
        if (it == values.end()) {
            return std::nullopt;
        }
        used.push_back(key);
        if (it->second == "true") {
            return true;
        }
        if (it->second == "false") {
            return false;
        }
        throw std::invalid_argument("options: " + key + " must be true or false, got " + it->second);
    }

    void rejectUnknown() const {
        for (auto const& [key, value] : values) {
            if (std::find(used.begin(), used.end(), key) == used.end()) {
                throw std::invalid_argument("options: unknown key " + key);
            }
        }
    }

private:
    std::unordered_map<std::string, std::string> values;
    std::vector<std::string> used;
};

tle::ExecutorConfig executorConfig(char const* json) {
    Options options(json);
    tle::ExecutorConfig config(static_cast<tle::SizeType32>(options.number("max_beam_width").value_or(1)));
    tle::KvCacheConfig kv;
    if (auto f = options.number("kv_cache_free_gpu_memory_fraction")) {
        kv.setFreeGpuMemoryFraction(static_cast<tle::FloatType>(*f));
    }
    if (auto n = options.number("kv_cache_max_tokens")) {
        kv.setMaxTokens(static_cast<tle::SizeType32>(*n));
    }
    if (auto reuse = options.flag("enable_block_reuse")) {
        kv.setEnableBlockReuse(*reuse);
    }
    config.setKvCacheConfig(kv);
    if (auto n = options.number("max_batch_size")) {
        config.setMaxBatchSize(static_cast<tle::SizeType32>(*n));
    }
    if (auto n = options.number("max_num_tokens")) {
        config.setMaxNumTokens(static_cast<tle::SizeType32>(*n));
    }
    if (auto n = options.number("max_queue_size")) {
        config.setMaxQueueSize(static_cast<tle::SizeType32>(*n));
    }
    config.setIterStatsMaxIterations(static_cast<tle::SizeType32>(options.number("iter_stats_max_iterations").value_or(100)));
    options.rejectUnknown();
    return config;
}

int finishReason(tle::FinishReason reason) {
    switch (reason) {
        case tle::FinishReason::kNOT_FINISHED: return BRT_FINISH_NOT_FINISHED;
        case tle::FinishReason::kEND_ID: return BRT_FINISH_END_ID;
        case tle::FinishReason::kSTOP_WORDS: return BRT_FINISH_STOP_WORDS;
        case tle::FinishReason::kLENGTH: return BRT_FINISH_LENGTH;
        default: break; // kTIMED_OUT and kCANCELLED exist in newer releases only: compared by value below
    }
    switch (static_cast<int>(reason)) {
        case 4: return BRT_FINISH_TIMED_OUT;
        case 5: return BRT_FINISH_CANCELLED;
        default: return BRT_FINISH_ERROR;
    }
}

} // namespace

struct brt_trtllm_executor {
    std::unique_ptr<tle::Executor> executor;
    std::mutex mutex;                                // guards active, cancelled, shutDown, latest
    std::unordered_set<tle::IdType> active;          // enqueued and without a final response yet
    std::unordered_set<tle::IdType> cancelled;       // requests cancelled by the caller
    std::vector<tle::Response> carried;              // ready responses beyond what the last await could hand out
    bool shutDown = false;
    // What the last await handed out; kept until the next await.
    std::vector<std::vector<int32_t>> tokens;
    std::vector<std::string> errors;
    tle::IterationStats latest{};
    bool haveStats = false;
};

extern "C" {

int32_t brt_trtllm_abi_version(void) {
    return BRT_TRTLLM_ABI_VERSION;
}

char const* brt_trtllm_version(void) {
    static std::string const text = std::string("TensorRT-LLM ") + tle::version();
    return text.c_str();
}

char const* brt_trtllm_last_error(void) {
    return lastError.c_str();
}

brt_status brt_trtllm_create(char const* engineDir, char const* optionsJson, brt_trtllm_executor** out) {
    lastError.clear();
    if (engineDir == nullptr || out == nullptr) {
        return fail(BRT_INVALID_ARGUMENT, "engine_dir and out must not be NULL");
    }
    try {
        std::filesystem::path dir(engineDir);
        if (!std::filesystem::is_directory(dir) || !std::filesystem::exists(dir / "config.json")) {
            return fail(BRT_NOT_FOUND, "engine directory " + dir.string() + " has no config.json (is it what trtllm-build wrote?)");
        }
        tle::ExecutorConfig config = executorConfig(optionsJson);
        static std::once_flag plugins;
        std::call_once(plugins, [] { initTrtLlmPlugins(); });
        auto e = std::make_unique<brt_trtllm_executor>();
        e->executor = std::make_unique<tle::Executor>(dir, tle::ModelType::kDECODER_ONLY, config);
        *out = e.release();
        return BRT_OK;
    } catch (std::invalid_argument const& ex) {
        return fail(BRT_INVALID_ARGUMENT, ex.what());
    } catch (std::exception const& ex) {
        return fail(BRT_ENGINE_ERROR, std::string("TensorRT-LLM could not create an executor for ") + engineDir + ": " + ex.what());
    } catch (...) {
        return fail(BRT_ENGINE_ERROR, "TensorRT-LLM threw a non-standard exception while creating the executor");
    }
}

brt_status brt_trtllm_enqueue(brt_trtllm_executor* e, brt_trtllm_request const* q, uint64_t* requestId) {
    lastError.clear();
    if (e == nullptr || q == nullptr || requestId == nullptr) {
        return fail(BRT_INVALID_ARGUMENT, "executor, request and request_id must not be NULL");
    }
    if (q->input_ids == nullptr || q->input_length <= 0) {
        return fail(BRT_INVALID_ARGUMENT, "the prompt is empty");
    }
    if (q->max_tokens <= 0) {
        return fail(BRT_INVALID_ARGUMENT, "max_tokens must be positive");
    }
    if (q->stop_word_count < 0 || (q->stop_word_count > 0 && (q->stop_words == nullptr || q->stop_word_lengths == nullptr))) {
        return fail(BRT_INVALID_ARGUMENT, "stop words are malformed");
    }
    try {
        {
            std::lock_guard<std::mutex> lock(e->mutex);
            if (e->shutDown) {
                return fail(BRT_SHUT_DOWN, "the executor is shut down");
            }
        }
        tle::VecTokens input(q->input_ids, q->input_ids + q->input_length);
        tle::SamplingConfig sampling(1);
        if (q->temperature > 0) {
            sampling.setTemperature(q->temperature);
            if (q->top_k > 0) {
                sampling.setTopK(q->top_k);
            }
            if (q->top_p > 0 && q->top_p < 1) {
                sampling.setTopP(q->top_p);
            }
            if (q->min_p > 0) {
                sampling.setMinP(q->min_p);
            }
            if (q->has_seed) {
                sampling.setSeed(q->seed);
            }
        } else {
            sampling.setTopK(1); // greedy
        }
        if (q->repetition_penalty > 0 && q->repetition_penalty != 1.0f) {
            sampling.setRepetitionPenalty(q->repetition_penalty);
        }
        if (q->presence_penalty != 0.0f) {
            sampling.setPresencePenalty(q->presence_penalty);
        }
        if (q->frequency_penalty != 0.0f) {
            sampling.setFrequencyPenalty(q->frequency_penalty);
        }
        tle::OutputConfig output;
        output.excludeInputFromOutput = true; // responses carry generated tokens only
        tle::Request request(std::move(input), q->max_tokens, q->streaming != 0, sampling, output);
        if (q->end_id >= 0) {
            request.setEndId(q->end_id);
        }
        if (q->stop_word_count > 0) {
            std::list<tle::VecTokens> words;
            int32_t offset = 0;
            for (int32_t w = 0; w < q->stop_word_count; ++w) {
                int32_t length = q->stop_word_lengths[w];
                if (length <= 0) {
                    return fail(BRT_INVALID_ARGUMENT, "stop word " + std::to_string(w) + " is empty");
                }
                words.emplace_back(q->stop_words + offset, q->stop_words + offset + length);
                offset += length;
            }
            request.setStopWords(words);
        }
        if (!e->executor->canEnqueueRequests()) {
            return fail(BRT_QUEUE_FULL, "this process may not enqueue requests on the executor now");
        }
        std::lock_guard<std::mutex> lock(e->mutex); // held across enqueue, so shutdown sees every request it must cancel
        *requestId = e->executor->enqueueRequest(request);
        e->active.insert(*requestId);
        return BRT_OK;
    } catch (std::invalid_argument const& ex) {
        return fail(BRT_INVALID_ARGUMENT, ex.what());
    } catch (std::exception const& ex) {
        std::string what = ex.what();
        brt_status status = what.find("queue") != std::string::npos ? BRT_QUEUE_FULL : BRT_ENGINE_ERROR;
        return fail(status, "TensorRT-LLM refused the request: " + what);
    } catch (...) {
        return fail(BRT_ENGINE_ERROR, "TensorRT-LLM threw a non-standard exception on enqueue");
    }
}

brt_status brt_trtllm_await(brt_trtllm_executor* e, int32_t timeoutMs, brt_trtllm_response* out, int32_t capacity, int32_t* count) {
    lastError.clear();
    if (e == nullptr || out == nullptr || count == nullptr || capacity <= 0) {
        return fail(BRT_INVALID_ARGUMENT, "executor, out and count must be set and capacity positive");
    }
    *count = 0;
    try {
        e->tokens.clear();
        e->errors.clear();
        {
            std::lock_guard<std::mutex> lock(e->mutex);
            if (e->shutDown && e->active.empty() && e->carried.empty()) {
                return fail(BRT_SHUT_DOWN, "the executor is shut down and every response was delivered");
            }
        }
        bool shutDown;
        {
            std::lock_guard<std::mutex> lock(e->mutex);
            shutDown = e->shutDown;
        }
        std::vector<tle::Response> responses;
        if (!shutDown && e->carried.empty()) {
            responses = e->executor->awaitResponses(std::chrono::milliseconds(timeoutMs));
        }
        // awaitResponses returns whatever is ready, possibly more than capacity: keep the rest for the next call.
        auto& carried = e->carried;
        carried.insert(carried.end(), std::make_move_iterator(responses.begin()), std::make_move_iterator(responses.end()));
        size_t taken = std::min<size_t>(carried.size(), static_cast<size_t>(capacity));
        e->tokens.reserve(taken);
        e->errors.reserve(taken);
        for (size_t i = 0; i < taken; ++i) {
            tle::Response const& r = carried[i];
            brt_trtllm_response& o = out[i];
            std::memset(&o, 0, sizeof o);
            o.request_id = r.getRequestId();
            if (r.hasError()) {
                e->errors.push_back(r.getErrorMsg());
                o.is_final = 1;
                o.finish_reason = BRT_FINISH_ERROR;
                o.error = e->errors.back().c_str();
            } else {
                tle::Result const& result = r.getResult();
                e->tokens.push_back(result.outputTokenIds.empty() ? std::vector<int32_t>{} : result.outputTokenIds.front());
                o.tokens = e->tokens.back().data();
                o.token_count = static_cast<int32_t>(e->tokens.back().size());
                o.is_final = result.isFinal ? 1 : 0;
                o.finish_reason = result.isFinal
                        ? (result.finishReasons.empty() ? BRT_FINISH_LENGTH : finishReason(result.finishReasons.front()))
                        : BRT_FINISH_NOT_FINISHED;
                std::lock_guard<std::mutex> lock(e->mutex);
                if (result.isFinal && e->cancelled.count(o.request_id) > 0 && o.finish_reason == BRT_FINISH_LENGTH) {
                    o.finish_reason = BRT_FINISH_CANCELLED; // older releases report a cancelled request as kLENGTH
                }
            }
            if (o.is_final) {
                std::lock_guard<std::mutex> lock(e->mutex);
                e->active.erase(o.request_id);
                e->cancelled.erase(o.request_id);
            }
        }
        carried.erase(carried.begin(), carried.begin() + static_cast<std::ptrdiff_t>(taken));
        *count = static_cast<int32_t>(taken);
        return BRT_OK;
    } catch (std::exception const& ex) {
        return fail(BRT_ENGINE_ERROR, std::string("TensorRT-LLM failed while awaiting responses: ") + ex.what());
    } catch (...) {
        return fail(BRT_ENGINE_ERROR, "TensorRT-LLM threw a non-standard exception while awaiting responses");
    }
}

brt_status brt_trtllm_cancel(brt_trtllm_executor* e, uint64_t requestId) {
    lastError.clear();
    if (e == nullptr) {
        return fail(BRT_INVALID_ARGUMENT, "executor must not be NULL");
    }
    try {
        {
            std::lock_guard<std::mutex> lock(e->mutex);
            if (e->active.count(requestId) == 0) {
                return BRT_OK; // finished or unknown: nothing to stop
            }
            e->cancelled.insert(requestId);
        }
        e->executor->cancelRequest(requestId);
        return BRT_OK;
    } catch (std::exception const& ex) {
        return fail(BRT_ENGINE_ERROR, std::string("TensorRT-LLM could not cancel request ") + std::to_string(requestId) + ": " + ex.what());
    } catch (...) {
        return fail(BRT_ENGINE_ERROR, "TensorRT-LLM threw a non-standard exception on cancel");
    }
}

brt_status brt_trtllm_stats_get(brt_trtllm_executor* e, brt_trtllm_stats* out) {
    lastError.clear();
    if (e == nullptr || out == nullptr) {
        return fail(BRT_INVALID_ARGUMENT, "executor and out must not be NULL");
    }
    try {
        std::deque<tle::IterationStats> stats = e->executor->getLatestIterationStats();
        std::lock_guard<std::mutex> lock(e->mutex);
        if (!stats.empty()) {
            e->latest = stats.back();
            e->haveStats = true;
        }
        std::memset(out, 0xff, sizeof *out); // -1 everywhere: unknown
        out->iteration_latency_ms = -1;
        if (e->haveStats) {
            tle::IterationStats const& s = e->latest;
            out->iterations = static_cast<int64_t>(s.iter);
            out->active_requests = s.numActiveRequests;
            out->queued_requests = s.numQueuedRequests;
            out->completed_requests = s.numCompletedRequests;
            out->max_active_requests = s.maxNumActiveRequests;
            out->iteration_latency_ms = s.iterLatencyMS;
            out->gpu_memory_bytes = static_cast<int64_t>(s.gpuMemUsage);
            if (s.kvCacheStats) {
                out->kv_max_blocks = s.kvCacheStats->maxNumBlocks;
                out->kv_free_blocks = s.kvCacheStats->freeNumBlocks;
                out->kv_used_blocks = s.kvCacheStats->usedNumBlocks;
                out->kv_tokens_per_block = s.kvCacheStats->tokensPerBlock;
            }
        }
        return BRT_OK;
    } catch (std::exception const& ex) {
        return fail(BRT_ENGINE_ERROR, std::string("TensorRT-LLM could not report statistics: ") + ex.what());
    } catch (...) {
        return fail(BRT_ENGINE_ERROR, "TensorRT-LLM threw a non-standard exception on statistics");
    }
}

brt_status brt_trtllm_shutdown(brt_trtllm_executor* e) {
    lastError.clear();
    if (e == nullptr) {
        return fail(BRT_INVALID_ARGUMENT, "executor must not be NULL");
    }
    try {
        std::vector<tle::IdType> running;
        {
            std::lock_guard<std::mutex> lock(e->mutex);
            if (e->shutDown) {
                return BRT_OK;
            }
            e->shutDown = true;
            running.assign(e->active.begin(), e->active.end());
        }
        // Executor::shutdown waits for running requests to end; the caller wants them stopped, so cancel them first.
        for (tle::IdType id : running) {
            e->executor->cancelRequest(id);
        }
        e->executor->shutdown();
        // Final responses are not guaranteed after shutdown: await reports shut down once nothing is carried, and the
        // Java side ends every request still open with CANCELLED.
        std::lock_guard<std::mutex> lock(e->mutex);
        e->active.clear();
        return BRT_OK;
    } catch (std::exception const& ex) {
        return fail(BRT_ENGINE_ERROR, std::string("TensorRT-LLM shutdown failed: ") + ex.what());
    } catch (...) {
        return fail(BRT_ENGINE_ERROR, "TensorRT-LLM threw a non-standard exception on shutdown");
    }
}

void brt_trtllm_destroy(brt_trtllm_executor* e) {
    if (e == nullptr) {
        return;
    }
    brt_trtllm_shutdown(e);
    try {
        delete e;
    } catch (...) {
        // a destructor that throws: nothing more can be done, and nothing may escape
    }
}

} // extern "C"
