package dev.baremetalrt.backend.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.baremetalrt.conformance.SharedModels;
import dev.baremetalrt.conformance.StoriesReference;
import dev.baremetalrt.core.engine.Backends;
import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.model.Models;
import dev.baremetalrt.core.sampling.SamplingParams;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real stories260K model through djl, alone and in a mixed plan with cpu, against REFERENCE.md (llama2.c, llama.cpp). */
class DjlStoriesReferenceTest {
    private static final String F32 = "stories260K/stories260K.gguf";

    private static int[] greedy(String file, String prompt, int maxTokens, List<BackendProvider> providers, int stages) {
        try (Model model = Models.open(SharedModels.file(file));
             LocalDeployment local = LocalDeployment.load(model, providers, BackendOptions.withThreads(2), stages, 512)) {
            int[] ids = model.tokenizer().encode(prompt);
            return local.engine().generate(new GenerationRequest(ids, maxTokens, SamplingParams.greedy()), TokenSink.discard()).tokens();
        }
    }

    @ParameterizedTest(name = "djl, greedy from BOS, 200 positions: {0}")
    @ValueSource(strings = {F32, "stories260K-gguf-derived/stories260K-F16.gguf", "stories260K-hf-derived"})
    void greedyFromBosMatchesReference(String file) {
        assertArrayEquals(StoriesReference.load().sequence(201), greedy(file, "", 200, List.of(new DjlBackendProvider()), 1));
    }

    @ParameterizedTest(name = "djl, greedy for \"Once upon a time\", 64 positions: {0}")
    @ValueSource(strings = {"stories260K-gguf-derived/stories260K-Q8_0.gguf"})
    void quantizedCopyMatchesReference(String file) {
        assertArrayEquals(StoriesReference.load().sequence(65), greedy(file, "Once upon a time", 60, List.of(new DjlBackendProvider()), 1));
    }

    @ParameterizedTest(name = "mixed plan, the first stages on cpu and the last on djl: {0} stages")
    @ValueSource(ints = {2, 3})
    void mixedPlanWithCpuMatchesReference(int stages) {
        List<BackendProvider> providers = List.of(Backends.find("cpu"), Backends.find("djl"));
        assertArrayEquals(StoriesReference.load().sequence(201), greedy(F32, "", 200, providers, stages));
    }
}
