package dev.baremetalrt.cli;

import dev.baremetalrt.core.engine.GenerationRequest;
import dev.baremetalrt.core.engine.GenerationResult;
import dev.baremetalrt.cluster.ClusterNode;
import dev.baremetalrt.core.engine.InferenceEngine;
import dev.baremetalrt.core.engine.LocalDeployment;
import dev.baremetalrt.core.engine.Pipeline;
import dev.baremetalrt.spi.ShardPlan;
import dev.baremetalrt.core.engine.TokenSink;
import dev.baremetalrt.core.model.Model;
import dev.baremetalrt.core.sampling.SamplingParams;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import dev.baremetalrt.core.chat.ChatMessage;
import dev.baremetalrt.core.chat.ChatTemplates;
import java.util.ArrayList;
import java.util.List;

/** {@code brt generate}: stream a completion to stdout. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate text from a prompt and stream it to stdout; statistics go to stderr.",
                "BOS is added as the model's metadata says. --temperature 0 is greedy."})
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model: a GGUF file or a Hugging Face directory (config.json, safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--prompt", description = "Prompt text (default: empty, i.e. BOS only).", defaultValue = "")
    String prompt;

    @Option(names = "--chat", description = "Treat --prompt as a user message and render it with the model's chat template "
            + "(or the documented fallback when it has none); print only the reply.")
    boolean chat;

    @Option(names = "--system", description = "System message for --chat.")
    String system;

    @Option(names = "--max-tokens", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).", defaultValue = "128")
    int maxTokens;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    ModelOptions deployment;

    @Option(names = "--print-ids", description = "After the text, print a line with every id (BOS, prompt, generated).")
    boolean printIds;

    @Option(names = "--quiet", description = "Print no statistics on stderr.")
    boolean quiet;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--cluster", description = "Run the model on a cluster (see 'brt node') instead of in this process: join it with the "
            + "cluster options, wait until the model's stages are ready, and drive them over the event bus. --model gives the tokenizer; "
            + "this process holds no layers.")
    boolean useCluster;

    @Mixin
    ClusterJoinOptions cluster;

    @Override
    public Integer call() {
        try (Model m = ModelOptions.open(model)) {
            if (useCluster) {
                try (ClusterNode node = ClusterNode.join(cluster.toOptions())) {
                    Pipeline pipeline = cluster.pipeline(node, m);
                    ShardPlan plan = pipeline.plan();
                    int capacity = Math.min(deployment.context, m.config().contextLength());
                    InferenceEngine engine = new InferenceEngine(pipeline, m.tokenizer(), capacity, LocalDeployment.PREFILL_CHUNK,
                            ClusterJoinOptions.generators(node, m));
                    String where = "%d stage(s) on cluster %s (%s)".formatted(plan.stages().size(), node.clusterName(),
                            plan.stages().stream().map(s -> s.node().substring(0, 8) + "/" + s.backend() + " " + s.layers()).collect(Collectors.joining(", ")));
                    generate(m, engine, where);
                }
            } else {
                try (LocalDeployment local = deployment.deploy(m)) {
                    generate(m, local.engine(), where(local));
                }
            }
        }
        return 0;
    }

    private void generate(Model m, InferenceEngine engine, String where) {
        if (chat) {
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) {
                messages.add(ChatMessage.system(system));
            }
            messages.add(ChatMessage.user(prompt));
            int[] ids = ChatTemplates.encode(m.tokenizer(), ChatTemplates.forModel(m).render(messages, List.of(), true));
            run(m, engine, where, ids, "", maxTokens, sampling.toParams(), printIds, quiet, spec.commandLine().getOut(), spec.commandLine().getErr());
        } else {
            run(m, engine, where, m.tokenizer().encode(prompt), prompt, maxTokens, sampling.toParams(), printIds, quiet, spec.commandLine().getOut(), spec.commandLine().getErr());
        }
    }

    /** "2 stage(s) on cpu+cuda". */
    static String where(LocalDeployment local) {
        return "%d stage(s) on %s".formatted(local.plan().stages().size(), local.backends().stream().map(b -> b.id()).distinct().collect(Collectors.joining("+")));
    }

    /** Streams one generation: prompt then completion on stdout, statistics on stderr. */
    static GenerationResult run(Model model, LocalDeployment local, String prompt, int maxTokens, SamplingParams params,
                                boolean printIds, boolean quiet, PrintWriter out, PrintWriter err) {
        return run(model, local.engine(), where(local), model.tokenizer().encode(prompt), prompt, maxTokens, params, printIds, quiet, out, err);
    }

    /** Streams one generation from prompt ids, echoing {@code echo} first. */
    static GenerationResult run(Model model, InferenceEngine engine, String where, int[] ids, String echo, int maxTokens, SamplingParams params,
                                boolean printIds, boolean quiet, PrintWriter out, PrintWriter err) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("the prompt is empty and model %s adds no BOS: give --prompt".formatted(model.modelId()));
        }
        out.print(echo);
        out.flush();
        GenerationResult result = engine.generate(new GenerationRequest(ids, maxTokens, params), new TokenSink() {
            @Override
            public void onText(String text) {
                out.print(text);
                out.flush();
            }
        });
        out.println();
        if (printIds) {
            out.println(Arrays.stream(result.tokens()).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        }
        out.flush();
        if (!quiet) {
            err.printf("[%s | %s | prompt %d tokens, %.1f tok/s | generated %d tokens, %.1f tok/s | finish: %s]%n",
                    model.modelId(), where, result.promptLength(), result.prefillTokensPerSecond(),
                    result.generatedCount(), result.decodeTokensPerSecond(), result.finishReason().name().toLowerCase(java.util.Locale.ROOT));
        }
        return result;
    }

    /** Sampling flags shared by generate and demo. */
    static final class SamplingOptions {
        @Option(names = "--temperature", description = "0 = greedy (default: ${DEFAULT-VALUE}).", defaultValue = "0.8")
        float temperature;

        @Option(names = "--top-p", description = "Nucleus sampling threshold (default: ${DEFAULT-VALUE}).", defaultValue = "0.95")
        float topP;

        @Option(names = "--top-k", description = "Keep the k most likely tokens, 0 = off (default: ${DEFAULT-VALUE}).", defaultValue = "40")
        int topK;

        @Option(names = "--min-p", description = "Min-p threshold, 0 = off (default: ${DEFAULT-VALUE}).", defaultValue = "0.05")
        float minP;

        @Option(names = "--repeat-penalty", description = "Repetition penalty, 1 = off (default: ${DEFAULT-VALUE}).", defaultValue = "1.0")
        float repeatPenalty;

        @Option(names = "--seed", description = "Random seed: the same seed gives the same text.")
        Long seed;

        @Option(names = "--stop", description = "Stop when this text appears (repeatable).")
        List<String> stop = new ArrayList<>();

        SamplingParams toParams() {
            SamplingParams.Builder b = SamplingParams.builder().temperature(temperature).topP(topP).topK(topK).minP(minP)
                    .repetitionPenalty(repeatPenalty).stop(stop);
            if (seed != null) {
                b.seed(seed);
            }
            return b.build();
        }
    }
}
