package dev.baremetalrt.server;

import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.sampling.SamplingParams;

/**
 * The sampling and length fields chat completions and completions share, validated and mapped onto a
 * {@link GenerationRequest}. OpenAI's defaults: temperature 1, top_p 1, no penalties; max tokens default
 * to what is left of the context. {@code top_k}, {@code min_p} and {@code repetition_penalty} are accepted as
 * llama-server and vLLM accept them. Unknown fields are ignored, as vLLM does.
 */
record GenerationParams(Integer maxTokens, SamplingParams sampling, int logprobs, boolean stream, boolean includeUsage) {
    static GenerationParams parse(RequestBody body, boolean chat) {
        long n = body.optInteger("n", 1, 128).orElse(1L);
        if (n != 1) {
            throw ApiError.invalid("n", "only n = 1 is supported");
        }
        body.optString("user");
        if (body.has("logit_bias") && !body.optObject("logit_bias").orElseThrow().isEmpty()) {
            throw ApiError.invalid("logit_bias", "'logit_bias' is not supported by this server");
        }
        Integer max = body.optInteger(chat && body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", 0, 1 << 24)
                .map(Long::intValue).orElse(null);
        SamplingParams.Builder s = SamplingParams.builder()
                .temperature(body.optNumber("temperature", 0, 2).orElse(1.0).floatValue())
                .topP(body.optNumber("top_p", 0, 1).map(p -> Math.max(p, 1e-6)).orElse(1.0).floatValue())
                // llama-server and vLLM extensions; off unless given.
                .topK(body.optInteger("top_k", 0, Integer.MAX_VALUE).orElse(0L).intValue())
                .minP(body.optNumber("min_p", 0, 1).orElse(0.0).floatValue())
                .repetitionPenalty(body.optNumber("repetition_penalty", 0.01, 10).orElse(1.0).floatValue())
                .presencePenalty(body.optNumber("presence_penalty", -2, 2).orElse(0.0).floatValue())
                .frequencyPenalty(body.optNumber("frequency_penalty", -2, 2).orElse(0.0).floatValue())
                .stop(body.stops());
        body.optInteger("seed", Long.MIN_VALUE, Long.MAX_VALUE).ifPresent(s::seed);
        int logprobs;
        if (chat) {
            boolean want = body.optBoolean("logprobs").orElse(false);
            int top = body.optInteger("top_logprobs", 0, GenerationRequest.MAX_TOP_LOGPROBS).orElse(0L).intValue();
            if (body.has("top_logprobs") && !want) {
                throw ApiError.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
            }
            logprobs = want ? top : -1;
        } else {
            logprobs = body.optInteger("logprobs", 0, 5).map(Long::intValue).orElse(-1);
        }
        boolean stream = body.optBoolean("stream").orElse(false);
        boolean includeUsage = false;
        if (body.has("stream_options")) {
            if (!stream) {
                throw ApiError.invalid("stream_options", "'stream_options' is only allowed with 'stream': true");
            }
            Object v = body.optObject("stream_options").orElseThrow().get("include_usage");
            if (v != null && !(v instanceof Boolean)) {
                throw ApiError.invalid("stream_options.include_usage", "'include_usage' must be a boolean");
            }
            includeUsage = Boolean.TRUE.equals(v);
        }
        return new GenerationParams(max, s.build(), logprobs, stream, includeUsage);
    }

    /** The request for {@code prompt} on a context of {@code capacity}; too long is OpenAI's context_length_exceeded. */
    GenerationRequest request(int[] prompt, int capacity, String what) {
        int max = maxTokens == null ? capacity - prompt.length : maxTokens;
        if (prompt.length + Math.max(1, max) > capacity) {
            throw new ApiError(400, "invalid_request_error", ("This model's maximum context length is %d tokens. However, you requested %d tokens "
                    + "(%d in the %s, %d in the completion). Please reduce the length of the %s or the completion.")
                    .formatted(capacity, prompt.length + max, prompt.length, what, max, what), "messages", "context_length_exceeded");
        }
        return new GenerationRequest(prompt, max, sampling, logprobs);
    }
}
