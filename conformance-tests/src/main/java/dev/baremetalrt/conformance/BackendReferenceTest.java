package dev.baremetalrt.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.core.model.HfModel;
import dev.baremetalrt.core.model.LlamaModel;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.synth.ModelShape;
import dev.baremetalrt.core.synth.SyntheticHfModelGenerator;
import dev.baremetalrt.core.synth.SyntheticModelGenerator;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendException;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.RopeScaling;
import dev.baremetalrt.spi.SessionException;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.TensorPayload;
import dev.baremetalrt.spi.WeightType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compares a backend with {@link ReferenceLlama} on synthetic models: a GQA shape (4 query heads over 2
 * KV heads) and a non-GQA shape in every plain and 32-block type, a GQA shape with rows of 256 in every
 * K-quant type, each split into 1, 2 and 3 stages; and the GQA shape as Hugging Face safetensors
 * directories (F32, F16, BF16; one file and sharded).
 * Extend it, return your provider from {@link #provider()}, and run it with JUnit 5.
 *
 * <p>Rules (the number is in each test's name; what to look at when one fails):
 * <ul>
 *   <li><b>R1</b> logits for a 24-token prompt (all positions) and for following decode steps match the float64
 *       reference within {@link #tolerance}: the reference decodes the same stored weights, so only float
 *       rounding may differ. Failing for one type only: that type's dequantization. Failing for stage
 *       splits only: hidden-state hand-over or layer offsets. Failing for GQA only: the KV head mapping.
 *       On Hugging Face directories the reference reads the GGUF file of the same seed, so the directory
 *       must hold the same model: failing there only points at the q/k rotate-half permutation or the
 *       safetensors mapping.</li>
 *   <li><b>R2</b> a prompt run in one call equals the same prompt fed one position at a time (batched
 *       prefill must not change results beyond rounding): look at causal masking and KV positions.</li>
 *   <li><b>R3</b> sessions run together in one batch equal the same sessions run alone.</li>
 *   <li><b>R4</b> {@code truncate} then replaying the dropped positions gives the original logits.</li>
 *   <li><b>R5</b> bad input is refused with {@link SessionException}: unknown session, a step that does
 *       not continue the cache, hidden states of the wrong width, positions beyond the capacity, a
 *       session opened twice; a closed shard or backend refuses with {@link BackendException}.</li>
 * </ul>
 *
 * <p>Declared behaviours: a weight type the backend does not run ({@link #supports}) and, for a whole-model
 * engine, stage splits ({@link BackendBehavior#LAYER_RANGES}) are still tested: R1 then checks the refusal.</p>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendReferenceTest {
    static final ModelShape GQA = new ModelShape("test-gqa", 64, 96, 3, 4, 2, 320, 64, 10000f);
    static final ModelShape MHA = new ModelShape("test-mha", 64, 128, 3, 4, 4, 300, 64, 500000f);
    /** K-quants need rows that are multiples of 256. */
    private static final ModelShape KQUANT = new ModelShape("test-kquant", 256, 512, 3, 4, 2, 320, 64, 10000f);
    static final int[] PROMPT = {1, 17, 260, 299, 5, 42};
    /** Long enough for a backend's many-position (prefill) path, e.g. the cpu backend's tiled GEMM. */
    static final int[] LONG_PROMPT = java.util.stream.IntStream.range(0, 24).map(i -> 1 + (i * 37) % 290).toArray();
    private static final int[] CONTINUATION = {7, 280, 3};
    /** The dtypes Hugging Face directories hold. */
    private static final List<WeightType> HF_TYPES = List.of(WeightType.F32, WeightType.F16, WeightType.BF16);

    private Path dir;
    private final Map<String, Path> models = new HashMap<>();

    /** The backend under test. */
    protected abstract BackendProvider provider();

    /** Options it is opened with. */
    protected BackendOptions options() {
        return BackendOptions.withThreads(2);
    }

    /** Largest allowed |logit - reference| relative to max(1, max |reference logit|). */
    protected double tolerance(WeightType type) {
        return 1e-3;
    }

    @BeforeAll
    void generateModels() throws IOException {
        dir = Files.createTempDirectory("brt-conformance");
        for (ModelShape shape : List.of(GQA, MHA, KQUANT)) {
            for (WeightType type : typesFor(shape)) {
                Path p = dir.resolve(shape.name() + "-" + type + ".gguf");
                SyntheticModelGenerator.write(shape, type, 1234, p);
                models.put(shape.name() + "/" + type, p);
            }
        }
    }

    @AfterAll
    void deleteModels() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (ModelShape shape : List.of(GQA, MHA, KQUANT)) {
            for (WeightType type : typesFor(shape)) {
                for (int stages = 1; stages <= 3; stages++) {
                    cases.add(Arguments.of(shape.name(), type, stages));
                }
            }
        }
        return cases.stream();
    }

    /** The small shapes take every type whose blocks fit a row of 64; the K-quant shape takes the K-quants. */
    private static List<WeightType> typesFor(ModelShape shape) {
        return java.util.Arrays.stream(WeightType.values())
                .filter(t -> (t.blockSize() == 256) == (shape == KQUANT))
                .toList();
    }

    LlamaModel open(String shape, WeightType type) {
        return LlamaModel.open(models.get(shape + "/" + type));
    }

    @ParameterizedTest(name = "R1 logits match the float64 reference: {0} {1} in {2} stage(s)")
    @MethodSource("cases")
    void r1LogitsMatchReference(String shape, WeightType type, int stages) {
        try (LlamaModel model = open(shape, type)) {
            if (!supports(type)) {
                assertRefusesWeightType(model, type);
                return;
            }
            if (stages > stages(stages)) {
                assertRefusesLayerRange(model);
                return;
            }
            assertLogitsMatchReference(model, model, tolerance(type), stages);
        }
    }

    /**
     * Whether the backend runs {@code type}: by default what its {@code capabilities().weightTypes()} say.
     * A type it does not run is still tested: loading it must fail with a {@link BackendException} that
     * names the type.
     */
    protected boolean supports(WeightType type) {
        return capabilities().weightTypes().contains(type);
    }

    /** {@code preferred} when the backend runs it, else the first type it declares among the small shapes' (F32 first). */
    WeightType supportedOr(WeightType preferred) {
        if (supports(preferred)) {
            return preferred;
        }
        return typesFor(GQA).stream().filter(this::supports).findFirst()
                .orElseThrow(() -> new IllegalStateException("the backend declares none of the weight types the suite's models use: " + typesFor(GQA)));
    }

    /** Whether the backend has {@code behavior}; by default what its capabilities say (see {@link BackendBehavior}). */
    protected boolean hasBehavior(BackendBehavior behavior) {
        return switch (behavior) {
            case LAYER_RANGES -> capabilities().layerRanges();
        };
    }

    /** {@code wanted} stages, or one whole-model stage for a backend without {@link BackendBehavior#LAYER_RANGES}. */
    int stages(int wanted) {
        return hasBehavior(BackendBehavior.LAYER_RANGES) ? wanted : 1;
    }

    private dev.baremetalrt.spi.BackendCapabilities capabilities() {
        if (capabilities == null) {
            try (Backend backend = provider().open(options())) {
                capabilities = backend.capabilities();
            }
        }
        return capabilities;
    }

    private dev.baremetalrt.spi.BackendCapabilities capabilities;

    /** A backend without layer ranges must refuse part of a model, naming the range. */
    void assertRefusesLayerRange(Model model) {
        try (Backend backend = provider().open(options())) {
            LayerRange part = new LayerRange(0, 1);
            BackendException refused = assertThrows(BackendException.class, () -> backend.load(new ShardSpec(model, part, true, false, 64)),
                    "a backend without LAYER_RANGES must refuse to load " + part);
            assertTrue(refused.getMessage().contains(part.toString()), "the refusal names the layer range: " + refused.getMessage());
        }
    }

    private void assertRefusesWeightType(Model model, WeightType type) {
        try (Backend backend = provider().open(options())) {
            BackendException refused = assertThrows(BackendException.class,
                    () -> backend.load(new ShardSpec(model, new LayerRange(0, model.config().layerCount()), true, true, 64)),
                    "a backend that does not declare " + type + " must refuse to load it");
            assertTrue(refused.getMessage().contains(type.name()), "the refusal names the weight type: " + refused.getMessage());
        }
    }

    Stream<Arguments> hfCases() {
        List<Arguments> cases = new ArrayList<>();
        for (WeightType type : HF_TYPES) {
            cases.add(Arguments.of(type, 1, false));
            cases.add(Arguments.of(type, 2, true));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "R1 logits match the float64 reference on a Hugging Face directory: {0} in {1} stage(s), sharded {2}")
    @MethodSource("hfCases")
    void r1LogitsMatchReferenceOnHfDirectories(WeightType type, int stages, boolean sharded) {
        Path hf = dir.resolve("hf-" + type + (sharded ? "-sharded" : ""));
        // 64 KB shards split the 3-layer model over several files, exercising the index.
        SyntheticHfModelGenerator.write(GQA, type, 1234, hf, sharded ? 64_000 : SyntheticHfModelGenerator.DEFAULT_MAX_SHARD_BYTES);
        try (HfModel model = HfModel.open(hf); LlamaModel sameSeed = open(GQA.name(), type)) {
            if (!supports(type)) {
                assertRefusesWeightType(model, type);
                return;
            }
            assertLogitsMatchReference(model, sameSeed, tolerance(type), stages(stages));
        }
    }

    /**
     * R1: LONG_PROMPT in one call (all positions) then CONTINUATION one token at a time, run by the backend on
     * {@code model} and by the float64 reference on {@code referenceWeights}.
     */
    private void assertLogitsMatchReference(Model model, Model referenceWeights, double tolerance, int stages) {
        try (LocalDeployment local = LocalDeployment.load(model, provider(), options(), stages, 64)) {
            // LONG_PROMPT then CONTINUATION: 27 positions, within the shapes' context of 64
            ReferenceLlama reference = new ReferenceLlama(referenceWeights);
            double[][] expected = new double[LONG_PROMPT.length][];
            for (int i = 0; i < LONG_PROMPT.length; i++) {
                expected[i] = reference.next(LONG_PROMPT[i]);
            }
            Pipeline pipeline = local.engine().pipeline();
            pipeline.openSession("r1");
            TensorPayload logits = pipeline.forward(StepBatch.of(SessionStep.ofTokens("r1", 0, LONG_PROMPT, SessionStep.Logits.ALL))).output("r1");
            assertEquals(LONG_PROMPT.length, logits.dim(0), "one row of logits per prompt position");
            for (int i = 0; i < LONG_PROMPT.length; i++) {
                assertClose(expected[i], logits, i, tolerance, "prompt position " + i);
            }
            int position = LONG_PROMPT.length;
            for (int token : CONTINUATION) {
                double[] want = reference.next(token);
                TensorPayload got = pipeline.forward(StepBatch.of(SessionStep.ofTokens("r1", position++, new int[] {token}, SessionStep.Logits.LAST))).output("r1");
                assertClose(want, got, 0, tolerance, "decode position " + (position - 1));
            }
            pipeline.release("r1");
        }
    }

    @ParameterizedTest(name = "R1 logits match the float64 reference with Llama 3.1 RoPE scaling in {0} stage(s)")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
    void r1LogitsMatchReferenceWithRopeScaling(int stages) throws IOException {
        // Original context 64 puts the 8 rotated pairs of a 16-wide head in all three llama3 regimes.
        RopeScaling scaling = RopeScaling.llama3(8, 1, 4, 64, GQA.ropeTheta(), GQA.dim() / GQA.heads());
        Path file = dir.resolve("rope-scaled-" + stages + ".gguf");
        SyntheticModelGenerator.write(GQA, WeightType.F32, 1234, scaling, file);
        try (LlamaModel model = LlamaModel.open(file); LlamaModel unscaled = open(GQA.name(), WeightType.F32);
             LocalDeployment local = LocalDeployment.load(model, provider(), options(), stages(stages), 64)) {
            for (int i = 0; i < scaling.size(); i++) {
                assertEquals(scaling.divisor(i), model.config().ropeScaling().divisor(i), "the model file carries divisor " + i);
            }
            ReferenceLlama reference = new ReferenceLlama(model);
            ReferenceLlama plain = new ReferenceLlama(unscaled);
            Pipeline pipeline = local.engine().pipeline();
            pipeline.openSession("rope");
            TensorPayload logits = pipeline.forward(StepBatch.of(SessionStep.ofTokens("rope", 0, LONG_PROMPT, SessionStep.Logits.ALL))).output("rope");
            double scaledVersusPlain = 0;
            for (int i = 0; i < LONG_PROMPT.length; i++) {
                double[] want = reference.next(LONG_PROMPT[i]);
                double[] without = plain.next(LONG_PROMPT[i]);
                for (int v = 0; v < want.length; v++) {
                    scaledVersusPlain = Math.max(scaledVersusPlain, Math.abs(want[v] - without[v]));
                }
                assertClose(want, logits, i, tolerance(WeightType.F32), "prompt position " + i);
            }
            assertTrue(scaledVersusPlain > 1e-2, "scaling must change the logits for this test to mean anything: " + scaledVersusPlain);
        }
    }

    @Test
    void r2PrefillEqualsTokenByToken() {
        try (LlamaModel model = open(GQA.name(), supportedOr(WeightType.Q8_0)); LocalDeployment local = LocalDeployment.load(model, provider(), options(), stages(2), 64)) {
            Pipeline p = local.engine().pipeline();
            p.openSession("whole");
            p.openSession("single");
            int[] prompt = java.util.Arrays.copyOf(LONG_PROMPT, 20);
            TensorPayload whole = p.forward(StepBatch.of(SessionStep.ofTokens("whole", 0, prompt, SessionStep.Logits.ALL))).output("whole");
            for (int i = 0; i < prompt.length; i++) {
                TensorPayload one = p.forward(StepBatch.of(SessionStep.ofTokens("single", i, new int[] {prompt[i]}, SessionStep.Logits.LAST))).output("single");
                assertClose(toDoubles(one, 0), whole, i, 1e-4, "position " + i);
            }
        }
    }

    @Test
    void r3BatchedSessionsEqualSessionsAlone() {
        try (LlamaModel model = open(MHA.name(), supportedOr(WeightType.F16)); LocalDeployment local = LocalDeployment.load(model, provider(), options(), stages(2), 64)) {
            Pipeline p = local.engine().pipeline();
            int[] other = {1, 100, 101, 102};
            p.openSession("a");
            p.openSession("b");
            var batch = p.forward(new StepBatch(List.of(
                    SessionStep.ofTokens("a", 0, PROMPT, SessionStep.Logits.LAST),
                    SessionStep.ofTokens("b", 0, other, SessionStep.Logits.ALL))));
            p.openSession("a-alone");
            p.openSession("b-alone");
            TensorPayload a = p.forward(StepBatch.of(SessionStep.ofTokens("a-alone", 0, PROMPT, SessionStep.Logits.LAST))).output("a-alone");
            TensorPayload b = p.forward(StepBatch.of(SessionStep.ofTokens("b-alone", 0, other, SessionStep.Logits.ALL))).output("b-alone");
            assertClose(toDoubles(a, 0), batch.output("a"), 0, 1e-4, "session a");
            for (int i = 0; i < other.length; i++) {
                assertClose(toDoubles(b, i), batch.output("b"), i, 1e-4, "session b position " + i);
            }
        }
    }

    @Test
    void r4TruncateThenReplayEqualsOriginal() {
        try (LlamaModel model = open(GQA.name(), WeightType.F32); LocalDeployment local = LocalDeployment.load(model, provider(), options(), stages(3), 64)) {
            Pipeline p = local.engine().pipeline();
            p.openSession("t");
            TensorPayload original = p.forward(StepBatch.of(SessionStep.ofTokens("t", 0, PROMPT, SessionStep.Logits.LAST))).output("t");
            p.forward(StepBatch.of(SessionStep.ofTokens("t", PROMPT.length, CONTINUATION, SessionStep.Logits.LAST)));
            p.truncate("t", 3);
            int[] rest = java.util.Arrays.copyOfRange(PROMPT, 3, PROMPT.length);
            TensorPayload replayed = p.forward(StepBatch.of(SessionStep.ofTokens("t", 3, rest, SessionStep.Logits.LAST))).output("t");
            assertClose(toDoubles(original, 0), replayed, 0, 1e-5, "replayed position");
        }
    }

    @Test
    void r5BadInputIsRefusedClearly() {
        boolean ranges = hasBehavior(BackendBehavior.LAYER_RANGES);
        try (LlamaModel model = open(GQA.name(), WeightType.F32); Backend backend = provider().open(options())) {
            Shard first = backend.load(new ShardSpec(model, ranges ? new LayerRange(0, 2) : new LayerRange(0, 3), true, !ranges, 8));
            assertThrows(SessionException.class, () -> first.forward(StepBatch.of(SessionStep.ofTokens("nobody", 0, PROMPT, SessionStep.Logits.LAST))), "unknown session");
            first.openSession("s");
            assertThrows(SessionException.class, () -> first.openSession("s"), "session opened twice");
            assertThrows(SessionException.class, () -> first.forward(StepBatch.of(SessionStep.ofTokens("s", 3, PROMPT, SessionStep.Logits.LAST))), "position gap");
            assertThrows(SessionException.class, () -> first.forward(StepBatch.of(SessionStep.ofTokens("s", 0, new int[] {0, 100000}, SessionStep.Logits.LAST))), "token outside the vocabulary");
            assertThrows(SessionException.class, () -> first.forward(StepBatch.of(SessionStep.ofTokens("s", 0, new int[9], SessionStep.Logits.LAST))), "beyond capacity");
            if (ranges) { // a stage without the embedding: only a backend that loads layer ranges has one
                Shard last = backend.load(new ShardSpec(model, new LayerRange(2, 3), false, true, 8));
                last.openSession("s");
                TensorPayload narrow = TensorPayload.ofFloats(new float[2 * 63], 2, 63);
                assertThrows(SessionException.class, () -> last.forward(StepBatch.of(SessionStep.ofHidden("s", 0, narrow, SessionStep.Logits.LAST))), "wrong hidden width");
                assertThrows(SessionException.class, () -> last.forward(StepBatch.of(SessionStep.ofTokens("s", 0, PROMPT, SessionStep.Logits.LAST))), "tokens to a stage that does not embed");
            } else {
                assertRefusesLayerRange(model);
            }
            assertEquals(0, first.sessionLength("s"), "a refused step must not change the cache");
            first.release("s");
            first.release("s"); // idempotent
            first.close();
            BackendException closed = assertThrows(BackendException.class, () -> first.openSession("x"));
            assertTrue(closed.getMessage().contains(model.modelId()), "the error names the model: " + closed.getMessage());
            backend.close();
            assertThrows(BackendException.class, () -> backend.load(new ShardSpec(model, new LayerRange(0, 3), true, true, 8)));
        }
    }

    static double[] toDoubles(TensorPayload t, int row) {
        int width = t.dim(1);
        double[] out = new double[width];
        for (int i = 0; i < width; i++) {
            out[i] = t.get(row * width + i);
        }
        return out;
    }

    static void assertClose(double[] expected, TensorPayload actual, int row, double tolerance, String where) {
        int width = actual.dim(1);
        assertEquals(expected.length, width, where + ": vocabulary width");
        double scale = 1;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < width; i++) {
            double diff = Math.abs(expected[i] - actual.get(row * width + i));
            if (diff > worst) {
                worst = diff;
                worstAt = i;
            }
        }
        assertTrue(worst <= tolerance * scale, "%s: logit %d differs by %.3g (allowed %.3g)".formatted(where, worstAt, worst, tolerance * scale));
    }
}
