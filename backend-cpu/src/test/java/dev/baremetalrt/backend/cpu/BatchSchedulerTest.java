package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.core.engine.BatchScheduler;
import dev.baremetalrt.core.engine.FinishReason;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.GenerationResult;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.OverloadedException;
import dev.baremetalrt.core.engine.TokenLogprobs;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.SessionException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Continuous batching on stories260K: batched generations equal the same generations run alone. */
class BatchSchedulerTest {
    private static final String[] PROMPTS = {"Once upon a time", "The cat", "Lily and Tom went to the park", "One day", "A big red ball", "Tim"};

    @Test
    void batchedGenerationsEqualGenerationsAlone() throws Exception {
        try (LlamaModel model = LlamaModel.open(SharedModels.file("stories260K/stories260K.gguf"));
             LocalDeployment local = LocalDeployment.load(model, new CpuBackendProvider(), BackendOptions.withThreads(2), 2, 256);
             BatchScheduler scheduler = new BatchScheduler(local.engine().pipeline(), model.tokenizer(), 256, 4, 8, 7)) {
            List<int[]> alone = new ArrayList<>();
            for (String p : PROMPTS) {
                alone.add(local.engine().generate(request(model, p, 40), TokenSink.discard()).tokens());
            }
            List<BatchScheduler.Handle> handles = new ArrayList<>();
            List<StringBuilder> streamed = new ArrayList<>();
            for (String p : PROMPTS) { // 6 generations, 4 slots, prefill budget 7: queueing, chunked and interleaved prompts
                StringBuilder text = new StringBuilder();
                streamed.add(text);
                handles.add(scheduler.submit(request(model, p, 40), text::append));
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                GenerationResult r = handles.get(i).result().get(60, TimeUnit.SECONDS);
                assertArrayEquals(alone.get(i), r.tokens(), "prompt '" + PROMPTS[i] + "'");
                assertEquals(r.text(), streamed.get(i).toString(), "streamed text equals the result text");
            }
            assertEquals(0, scheduler.running());
            assertEquals(0, scheduler.queued());
        }
    }

    @Test
    void cancellationOverloadAndBadPrompts() throws Exception {
        try (LlamaModel model = LlamaModel.open(SharedModels.file("stories260K/stories260K.gguf"));
             LocalDeployment local = LocalDeployment.load(model, new CpuBackendProvider(), BackendOptions.withThreads(2), 1, 128);
             BatchScheduler scheduler = new BatchScheduler(local.engine().pipeline(), model.tokenizer(), 128, 1, 1, 64)) {
            CountDownLatch started = new CountDownLatch(1);
            BatchScheduler.Handle endless = scheduler.submit(request(model, "Once", 10_000), text -> started.countDown());
            assertTrue(started.await(30, TimeUnit.SECONDS));
            BatchScheduler.Handle waiting = scheduler.submit(request(model, "The", 5), TokenSink.discard());
            OverloadedException full = assertThrows(OverloadedException.class, () -> scheduler.submit(request(model, "Tim", 5), TokenSink.discard()));
            assertTrue(full.getMessage().contains("1 generations running and 1 waiting"), full.getMessage());
            endless.cancel();
            GenerationResult cancelled = endless.result().get(30, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, cancelled.finishReason());
            assertEquals(FinishReason.LENGTH, waiting.result().get(30, TimeUnit.SECONDS).finishReason(), "the freed slot runs the waiting one");

            assertThrows(SessionException.class, () -> scheduler.submit(new GenerationRequest(new int[200], 5, SamplingParams.greedy()), TokenSink.discard()));
            GenerationResult none = scheduler.submit(request(model, "Tim", 0), TokenSink.discard()).result().get(5, TimeUnit.SECONDS);
            assertEquals(0, none.generatedCount());

            AtomicInteger logprobs = new AtomicInteger();
            GenerationResult withLogprobs = scheduler.submit(new GenerationRequest(model.tokenizer().encode("Tim", true), 5, SamplingParams.greedy(), 3),
                    new TokenSink() {
                        @Override
                        public void onText(String text) {}

                        @Override
                        public void onLogprobs(TokenLogprobs lp) {
                            logprobs.incrementAndGet();
                            assertEquals(lp.token(), lp.topTokens()[0], "greedy picks the most likely token");
                            assertTrue(lp.logprob() <= 0 && lp.topLogprobs()[0] >= lp.topLogprobs()[2]);
                        }
                    }).result().get(30, TimeUnit.SECONDS);
            assertEquals(withLogprobs.generatedCount(), logprobs.get());
        }
    }

    @Test
    void aSinkThatThrowsFailsItsOwnGenerationOnly() throws Exception {
        try (LlamaModel model = LlamaModel.open(SharedModels.file("stories260K/stories260K.gguf"));
             LocalDeployment local = LocalDeployment.load(model, new CpuBackendProvider(), BackendOptions.withThreads(2), 1, 128);
             BatchScheduler scheduler = new BatchScheduler(local.engine().pipeline(), model.tokenizer(), 128, 2, 2, 64)) {
            BatchScheduler.Handle broken = scheduler.submit(request(model, "Once upon a time", 30), text -> {
                throw new IllegalStateException("the client's sink broke");
            });
            StringBuilder text = new StringBuilder();
            BatchScheduler.Handle fine = scheduler.submit(request(model, "The cat", 30), text::append);
            ExecutionException failed = assertThrows(ExecutionException.class, () -> broken.result().get(30, TimeUnit.SECONDS));
            assertEquals("the client's sink broke", failed.getCause().getMessage());
            GenerationResult r = fine.result().get(30, TimeUnit.SECONDS);
            assertTrue(r.generatedCount() > 0);
            assertEquals(r.text(), text.toString(), "the other generation streamed all of its text before its result completed");

            BatchScheduler.Handle brokenOnItsOnlyToken = scheduler.submit(request(model, "Once upon a time", 1), piece -> {
                throw new IllegalStateException("broke on the last token");
            });
            ExecutionException last = assertThrows(ExecutionException.class, () -> brokenOnItsOnlyToken.result().get(30, TimeUnit.SECONDS),
                    "a generation whose sink threw on its last token does not complete as if it streamed");
            assertEquals("broke on the last token", last.getCause().getMessage());
        }
    }

    private static GenerationRequest request(LlamaModel model, String prompt, int maxTokens) {
        return new GenerationRequest(model.tokenizer().encode(prompt, true), maxTokens, SamplingParams.greedy());
    }
}
