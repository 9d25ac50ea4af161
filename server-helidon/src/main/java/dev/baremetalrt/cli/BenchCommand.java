package dev.baremetalrt.cli;

import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.StepBatch;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code brt bench}: prefill and decode speed, memory, and decode as a share of memory bandwidth. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure prefill tok/s, decode tok/s, peak memory, and decode as effective GB/s of weights read,",
                "next to this machine's memory read bandwidth measured in the same run. Figures are medians over repeats."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model: a GGUF file or a Hugging Face directory (config.json, safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--prompt-tokens", description = "Prompt length for the prefill measurement (default: ${DEFAULT-VALUE}).", defaultValue = "128")
    int promptTokens;

    @Option(names = "--gen-tokens", description = "Decode steps measured (default: ${DEFAULT-VALUE}).", defaultValue = "32")
    int genTokens;

    @Option(names = "--threads", description = "Worker threads (default: all processors).", defaultValue = "0")
    int threads;

    @Option(names = "--repeats", description = "Prefill repeats (default: ${DEFAULT-VALUE}).", defaultValue = "3")
    int repeats;

    @Option(names = "--stages", description = "In-process stages (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    int stages;

    @Option(names = "--backend", description = "Backend id, or a list such as cpu,djl for a mixed plan (default: ${DEFAULT-VALUE}).", defaultValue = "cpu")
    String backend;

    @Option(names = "--batch", description = "Also decode this many sessions in one batch for gen-tokens x repeats steps, alternating in blocks of 16 steps "
            + "with one session, and report the aggregate tok/s against one session's; 0 = skip (default: ${DEFAULT-VALUE}).", defaultValue = "0")
    int batch;

    @Option(names = "--bandwidth-mib", description = "Buffer for the bandwidth measurement, MiB (default: ${DEFAULT-VALUE}).", defaultValue = "1024")
    int bandwidthMib;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        java.io.PrintWriter out = spec.commandLine().getOut();
        if (promptTokens < 1 || genTokens < 3 || repeats < 1 || batch < 0 || batch == 1) {
            throw new IllegalArgumentException("--prompt-tokens must be >= 1, --gen-tokens >= 3, --repeats >= 1, --batch 0 or >= 2");
        }
        int threadCount = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        ModelOptions options = new ModelOptions();
        options.stages = stages;
        options.backend = backend;
        options.threads = threadCount;
        options.context = promptTokens + genTokens * (batch > 0 ? repeats : 1) + 8; // --batch decodes genTokens * repeats steps
        // Measured before any backend starts: a native runtime's idle worker threads (libtorch's OpenMP pool spins
        // after each parallel region) would otherwise compete with the measurement and make it meaningless.
        double bandwidth = MemoryBandwidth.measure((long) bandwidthMib << 20, threadCount, 5);
        resetPeakRss(); // the peak reported below is the model's, not the measurement buffer's
        try (Model m = ModelOptions.open(model); LocalDeployment local = options.deploy(m)) {
            int vocab = m.config().vocabSize();
            long layerBytes = 0;
            for (int l = 0; l < m.config().layerCount(); l++) {
                layerBytes += m.layerWeightBytes(l);
            }
            long bytesPerToken = layerBytes + m.headWeightBytes();
            out.printf("model      %s: %s, %s, file %.2f GB, weights read per token %.3f GB%n", m.modelId(), m.config().summary(),
                    m.dominantType(), Files.size(model) / 1e9, bytesPerToken / 1e9);
            out.printf("machine    %d threads, %s, java %s%n", threadCount, System.getProperty("os.arch"), Runtime.version());
            dev.baremetalrt.spi.MemoryReport held = local.memory();
            out.printf("backend    %s: weights %.2f GB in its own buffers, %.2f GB read from the mapped file%n", backend,
                    held.weightBytes() / 1e9, held.mappedBytes() / 1e9);

            Pipeline pipeline = local.engine().pipeline();
            SplittableRandom random = new SplittableRandom(7);
            int[] prompt = random.ints(promptTokens, 3, vocab).toArray();
            // Warm-up: page in the weights and let the JIT compile the kernels.
            prefill(pipeline, "warmup", prompt);
            decode(pipeline, "warmup-decode", prompt, Math.min(8, genTokens));

            double[] prefill = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                prefill[r] = prefill(pipeline, "prefill-" + r, prompt);
            }
            double[] steps = decode(pipeline, "decode", new int[] {1}, genTokens);
            double prefillSeconds = median(prefill);
            double stepSeconds = median(steps);
            String rss = peakRss();
            long heap = peakHeap();
            double decodeGBs = bytesPerToken / stepSeconds / 1e9;
            double prefillTokS = promptTokens / prefillSeconds;
            double decodeTokS = 1 / stepSeconds;

            out.printf("prefill    %d tokens: %.1f tok/s (median of %d, %.3f s)%n", promptTokens, prefillTokS, repeats, prefillSeconds);
            out.printf("decode     %.2f tok/s (median step %.2f ms over %d steps)%n", decodeTokS, stepSeconds * 1e3, steps.length);
            out.printf("decode     %.2f GB/s of weights read, as stored in the file%n", decodeGBs);
            if (held.weightBytes() > held.mappedBytes()) { // the backend copied (and perhaps widened) the weights
                out.printf("decode     %.2f GB/s of the backend's own weight buffers (%.2f GB, embedding included)%n",
                        held.weightBytes() / stepSeconds / 1e9, held.weightBytes() / 1e9);
            }
            out.printf("memory bw  %.2f GB/s (parallel streaming read of %d MiB, %d threads, median of 5)%n", bandwidth, bandwidthMib, threadCount);
            out.printf("ratio      decode/bandwidth %.0f%%, prefill/decode per token %.1fx%n", 100 * decodeGBs / bandwidth, prefillTokS / decodeTokS);
            out.printf("peak mem   RSS %s (mapped weights included), heap %.0f MiB%n", rss, heap / 1048576.0);
            if (batch > 0) {
                batchedDecode(out, pipeline, prompt);
            }
        }
        out.flush();
        return 0;
    }

    private static double prefill(Pipeline pipeline, String session, int[] prompt) {
        pipeline.openSession(session);
        try {
            long start = System.nanoTime();
            pipeline.forward(StepBatch.of(SessionStep.ofTokens(session, 0, prompt, SessionStep.Logits.LAST)));
            return (System.nanoTime() - start) / 1e9;
        } finally {
            pipeline.release(session);
        }
    }

    /** Runs the prompt, then {@code steps} single-token steps; returns each step's seconds. */
    private static double[] decode(Pipeline pipeline, String session, int[] prompt, int steps) {
        DecodingSessions one = new DecodingSessions(pipeline, session, 1, prompt);
        try {
            double[] times = new double[steps];
            for (int i = 0; i < steps; i++) {
                times[i] = one.step();
            }
            return times;
        } finally {
            one.release();
        }
    }

    private static final int ALTERNATION_BLOCK = 16;

    /**
     * One session's decode steps alternating, in blocks of {@value #ALTERNATION_BLOCK}, with steps of {@link #batch} sessions in one batch,
     * so both see the same machine (whose speed moves between runs); prints the medians and their ratio.
     */
    private void batchedDecode(java.io.PrintWriter out, Pipeline pipeline, int[] prompt) {
        int steps = genTokens * Math.max(1, repeats);
        DecodingSessions single = new DecodingSessions(pipeline, "single", 1, prompt);
        DecodingSessions batched = new DecodingSessions(pipeline, "batch", batch, prompt);
        try {
            double[] one = new double[steps];
            double[] many = new double[steps];
            // Blocks of steps, not single steps, alternate: a step right after the other kind runs measurably slower
            // (seen for one session after a batch: 4-7 ms against 3.7-5 ms), which would flatter the batch.
            for (int i = 0; i < steps; i += ALTERNATION_BLOCK) {
                int end = Math.min(steps, i + ALTERNATION_BLOCK);
                for (int k = i; k < end; k++) {
                    one[k] = single.step();
                }
                for (int k = i; k < end; k++) {
                    many[k] = batched.step();
                }
            }
            double oneRate = 1 / median(one);
            double manyRate = batch / median(many);
            out.printf("batch      %d sessions per decode step: %.2f tok/s aggregate against %.2f for one session, %.2fx "
                    + "(median steps %.2f and %.2f ms, %d of each, in alternating blocks of %d)%n", batch, manyRate, oneRate, manyRate / oneRate,
                    median(many) * 1e3, median(one) * 1e3, steps, ALTERNATION_BLOCK);
        } finally {
            single.release();
            batched.release();
        }
    }

    /** Sessions decoding together, one token each per step, greedy; each with its own prompt length, as in a server. */
    private static final class DecodingSessions {
        private final Pipeline pipeline;
        private final String[] ids;
        private final int[] positions;
        private final int[] tokens;

        DecodingSessions(Pipeline pipeline, String prefix, int sessions, int[] prompt) {
            this.pipeline = pipeline;
            this.ids = new String[sessions];
            this.positions = new int[sessions];
            this.tokens = new int[sessions];
            try {
                for (int s = 0; s < sessions; s++) {
                    pipeline.openSession(prefix + "-" + s);
                    ids[s] = prefix + "-" + s;
                    positions[s] = Math.max(1, prompt.length - s);
                    pipeline.forward(StepBatch.of(SessionStep.ofTokens(ids[s], 0, Arrays.copyOf(prompt, positions[s]), SessionStep.Logits.LAST)));
                    tokens[s] = 1 + s;
                }
            } catch (RuntimeException e) {
                release();
                throw e;
            }
        }

        /** One decode step of every session; returns the seconds until all logits are in hand (greedy sampling after). */
        double step() {
            SessionStep[] step = new SessionStep[ids.length];
            for (int s = 0; s < ids.length; s++) {
                step[s] = SessionStep.ofTokens(ids[s], positions[s], new int[] {tokens[s]}, SessionStep.Logits.LAST);
            }
            long start = System.nanoTime();
            var result = pipeline.forward(StepBatch.of(step));
            float[][] logits = new float[ids.length][];
            for (int s = 0; s < ids.length; s++) {
                logits[s] = result.output(ids[s]).toFloatArray();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            for (int s = 0; s < ids.length; s++) {
                tokens[s] = dev.baremetalrt.core.sampling.Sampler.argmax(logits[s]);
                positions[s]++;
            }
            return seconds;
        }

        void release() {
            for (String id : ids) {
                if (id != null) {
                    pipeline.release(id);
                }
            }
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    /** Resets VmHWM to the current resident set (Linux 4.0+; elsewhere nothing happens). */
    private static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (Exception e) {
            // not Linux, or not allowed: the peak then includes the bandwidth buffer
        }
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    /** Peak resident set (VmHWM; includes mapped weight pages), or "n/a" off Linux. */
    private static String peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return "%.0f MiB".formatted(kb / 1024.0);
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return "n/a";
    }
}
