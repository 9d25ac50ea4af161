/**
 * Chat templates: a model's Jinja template (GGUF {@code tokenizer.chat_template} or
 * {@code tokenizer_config.json}'s {@code chat_template}) rendered with Jinjava the way transformers'
 * {@code apply_chat_template} renders it: {@code trim_blocks} and {@code lstrip_blocks} on,
 * {@code raise_exception}, {@code strftime_now}, a {@code tojson} that writes what Python's
 * {@code json.dumps} writes, and {@code bos_token}, {@code eos_token}, {@code add_generation_prompt},
 * {@code tools} in the context. A template error or {@code raise_exception} becomes a
 * {@link dev.baremetalrt.core.chat.ChatTemplateException} whose message a client can read.
 */
package dev.baremetalrt.core.chat;
