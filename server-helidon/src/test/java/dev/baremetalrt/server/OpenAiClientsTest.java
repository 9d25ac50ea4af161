package dev.baremetalrt.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.core.engine.Backends;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.spi.BackendOptions;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code brt serve}'s API driven by clients nobody here wrote: the official OpenAI Java SDK and
 * LangChain4j's OpenAI module, unchanged, pointed at the server's base URL. Greedy decoding makes every
 * answer reproducible, so the clients' results are compared with each other and with the server's own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiClientsTest {
    private static final String KEY = "sdk-test-key";
    private static final String MODEL = "stories260K";
    private static final String PROMPT = "Once upon a time";
    private BrtServer server;
    private String v1;
    private OpenAIClient openai;

    @BeforeAll
    void start() {
        server = BrtServer.start(new ServerConfig("127.0.0.1", 0, List.of(KEY), List.of(), ServerConfig.DEFAULT_MAX_BODY_BYTES), 1);
        server.add(ServedModel.load(LlamaModel.open(SharedModels.file("stories260K/stories260K.gguf")), Backends.find("cpu"),
                BackendOptions.withThreads(2), 2, 256, 4, 8));
        v1 = "http://127.0.0.1:" + server.port() + "/v1";
        openai = OpenAIOkHttpClient.builder().baseUrl(v1).apiKey(KEY).maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    void stop() { // also after start() was skipped for want of ../shared/models
        if (openai != null) {
            openai.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static ChatCompletionCreateParams.Builder chat(int maxTokens) {
        return ChatCompletionCreateParams.builder().model(MODEL).addUserMessage(PROMPT).maxCompletionTokens(maxTokens).temperature(0);
    }

    @Test
    void openAiSdkChatStreamingChatAndUsage() {
        ChatCompletion completion = openai.chat().completions().create(chat(30).build());
        String text = completion.choices().getFirst().message().content().orElseThrow();
        assertFalse(text.isBlank());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, completion.choices().getFirst().finishReason());
        assertEquals(30, completion.usage().orElseThrow().completionTokens());
        assertTrue(completion.usage().orElseThrow().promptTokens() > 0);
        assertEquals(MODEL, completion.model());

        StringBuilder streamed = new StringBuilder();
        List<Long> usage = new ArrayList<>();
        List<String> finish = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(
                chat(30).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(c -> {
                    c.delta().content().ifPresent(streamed::append);
                    c.finishReason().ifPresent(r -> finish.add(r.asString()));
                });
                chunk.usage().ifPresent(u -> usage.add(u.completionTokens()));
            });
        }
        assertEquals(text, streamed.toString(), "streamed deltas add up to the non-streamed answer");
        assertEquals(List.of("length"), finish);
        assertEquals(List.of(30L), usage, "one usage chunk at the end");
    }

    @Test
    void openAiSdkStopSequenceCompletionsAndModels() {
        String text = openai.chat().completions().create(chat(30).build()).choices().getFirst().message().content().orElseThrow();
        String stop = text.substring(12, 15);
        int cut = text.indexOf(stop);
        ChatCompletion stopped = openai.chat().completions().create(chat(30).stop(stop).build());
        assertEquals(text.substring(0, cut), stopped.choices().getFirst().message().content().orElseThrow(), "text ends before the stop sequence '" + stop + "'");
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, stopped.choices().getFirst().finishReason());

        Completion completion = openai.completions().create(CompletionCreateParams.builder().model(MODEL).prompt(PROMPT).maxTokens(12).temperature(0).build());
        assertTrue(completion.choices().getFirst().text().startsWith(", there was a little girl named Lily"), completion.choices().getFirst().text());
        assertEquals(12, completion.usage().orElseThrow().completionTokens());

        List<String> ids = openai.models().list().data().stream().map(Model::id).toList();
        assertEquals(List.of(MODEL), ids);
        assertEquals(MODEL, openai.models().retrieve(MODEL).id());
    }

    @Test
    void openAiSdkSurfacesErrorsAsItsExceptions() {
        NotFoundException unknown = assertThrows(NotFoundException.class, () -> openai.chat().completions().create(chat(5).model("gpt-5").build()));
        assertTrue(unknown.getMessage().contains("gpt-5"), unknown.getMessage());
        BadRequestException tooLong = assertThrows(BadRequestException.class, () -> openai.chat().completions().create(chat(100_000).build()));
        assertEquals("context_length_exceeded", tooLong.code().orElseThrow());
        BadRequestException badN = assertThrows(BadRequestException.class, () -> openai.chat().completions().create(chat(5).n(2).build()));
        assertEquals("n", badN.param().orElseThrow());
        OpenAIClient wrongKey = OpenAIOkHttpClient.builder().baseUrl(v1).apiKey("wrong").maxRetries(0).build();
        try {
            assertThrows(UnauthorizedException.class, () -> wrongKey.models().list());
        } finally {
            wrongKey.close();
        }
    }

    @Test
    void langChain4jChatStreamingChatAndCompletions() throws Exception {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(v1).apiKey(KEY).modelName(MODEL).temperature(0.0).maxTokens(30).maxRetries(0).build();
        ChatResponse response = model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(dev.langchain4j.data.message.UserMessage.from(PROMPT)).build());
        String expected = openai.chat().completions().create(chat(30).build()).choices().getFirst().message().content().orElseThrow();
        assertEquals(expected, response.aiMessage().text());
        assertEquals(30, response.tokenUsage().outputTokenCount());
        assertEquals(FinishReason.LENGTH, response.finishReason());

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(v1).apiKey(KEY).modelName(MODEL).temperature(0.0).maxTokens(30).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(PROMPT, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse complete) {
                done.complete(complete);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse complete = done.get(60, TimeUnit.SECONDS);
        assertEquals(expected, partial.toString());
        assertEquals(expected, complete.aiMessage().text());

        OpenAiChatModel stopping = OpenAiChatModel.builder().baseUrl(v1).apiKey(KEY).modelName(MODEL).temperature(0.0).maxTokens(30)
                .stop(List.of(expected.substring(12, 15))).maxRetries(0).build();
        assertEquals(expected.substring(0, expected.indexOf(expected.substring(12, 15))), stopping.chat(PROMPT));

        OpenAiLanguageModel completions = OpenAiLanguageModel.builder().baseUrl(v1).apiKey(KEY).modelName(MODEL).temperature(0.0).maxRetries(0).build();
        assertTrue(completions.generate(PROMPT).content().startsWith(", there was a little girl named Lily"));
    }

    @Test
    void langChain4jSurfacesErrorsAsItsExceptions() {
        OpenAiChatModel unknown = OpenAiChatModel.builder().baseUrl(v1).apiKey(KEY).modelName("gpt-5").maxRetries(0).build();
        assertThrows(ModelNotFoundException.class, () -> unknown.chat(PROMPT));
        OpenAiChatModel wrongKey = OpenAiChatModel.builder().baseUrl(v1).apiKey("wrong").modelName(MODEL).maxRetries(0).build();
        assertThrows(AuthenticationException.class, () -> wrongKey.chat(PROMPT));
        OpenAiChatModel tooLong = OpenAiChatModel.builder().baseUrl(v1).apiKey(KEY).modelName(MODEL).maxTokens(100_000).maxRetries(0).build();
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> tooLong.chat(PROMPT));
        assertTrue(e.getMessage().contains("maximum context length is 256"), e.getMessage());
    }
}
