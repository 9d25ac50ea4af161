/**
 * The OpenAI-compatible HTTP server on Helidon SE: {@link dev.baremetalrt.server.BrtServer} builds the
 * routing (models, chat completions, completions, tokenize/detokenize, health, Prometheus metrics, the web
 * chat page), checks API keys and CORS, and maps every failure to OpenAI's error envelope
 * ({@link dev.baremetalrt.server.ApiError}). Generations run on each model's
 * {@link dev.baremetalrt.core.engine.BatchScheduler}; handlers run on virtual threads and only wait on
 * queues, so a slow or vanished client never holds up the scheduler.
 */
package dev.baremetalrt.server;
