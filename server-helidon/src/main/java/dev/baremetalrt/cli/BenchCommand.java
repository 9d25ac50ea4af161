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

    @Option(names = "--bandwidth-mib", description = "Buffer for the bandwidth measurement, MiB (default: ${DEFAULT-VALUE}).", defaultValue = "1024")
    int bandwidthMib;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        java.io.PrintWriter out = spec.commandLine().getOut();
        if (promptTokens < 1 || genTokens < 3 || repeats < 1) {
            throw new IllegalArgumentException("--prompt-tokens must be >= 1, --gen-tokens >= 3, --repeats >= 1");
        }
        int threadCount = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        ModelOptions options = new ModelOptions();
        options.stages = stages;
        options.backend = backend;
        options.threads = threadCount;
        options.context = promptTokens + genTokens + 8;
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
        pipeline.openSession(session);
        try {
            pipeline.forward(StepBatch.of(SessionStep.ofTokens(session, 0, prompt, SessionStep.Logits.LAST)));
            double[] times = new double[steps];
            int token = 1;
            for (int i = 0; i < steps; i++) {
                long start = System.nanoTime();
                float[] logits = pipeline.forward(StepBatch.of(SessionStep.ofTokens(session, prompt.length + i, new int[] {token}, SessionStep.Logits.LAST)))
                        .output(session).toFloatArray();
                times[i] = (System.nanoTime() - start) / 1e9;
                token = dev.baremetalrt.core.sampling.Sampler.argmax(logits);
            }
            return times;
        } finally {
            pipeline.release(session);
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
