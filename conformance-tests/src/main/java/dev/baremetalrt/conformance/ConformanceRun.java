package dev.baremetalrt.conformance;

import static java.util.Objects.requireNonNull;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the backend rules against one backend through the JUnit Platform
 * launcher, without a build tool: what {@code brt conformance --backend ID} does. The result groups the
 * test cases by rule (R1-R9 of {@link BackendConformanceTest}, or G1-G8 of {@link GeneratorConformanceTest} for a whole-model backend that
 * generates by itself), with every failure's message, and renders as console text or Markdown.
 */
public final class ConformanceRun {
    private static final Pattern RULE = Pattern.compile("^([RG]\\d+)\\b|^([rg])(\\d+)[A-Z]");

    /** One test case: its rule, its name, and its failure (null when it passed, "skipped: why" when skipped). */
    public record Case(String rule, String name, String failure, boolean skipped) {
        public boolean passed() {
            return failure == null && !skipped;
        }
    }

    /** The outcome for one backend. */
    public record Report(String backend, List<Case> cases, Duration took) {
        public Report {
            requireNonNull(backend, "backend is null");
            cases = List.copyOf(cases);
        }

        public long failed() {
            return cases.stream().filter(c -> c.failure() != null).count();
        }

        /** True when no case failed and at least one passed (a run that found no tests did not pass). */
        public boolean allPassed() {
            return failed() == 0 && cases.stream().anyMatch(Case::passed);
        }

        /** Cases by rule, in rule order. */
        public Map<String, List<Case>> byRule() {
            Map<String, List<Case>> rules = new LinkedHashMap<>();
            cases.stream().sorted(java.util.Comparator.comparing(Case::rule)).forEach(c -> rules.computeIfAbsent(c.rule(), r -> new ArrayList<>()).add(c));
            return rules;
        }

        public void print(PrintWriter out) {
            out.printf("conformance of backend %s: %d case(s), %d failed, in %.1f s%n", backend, cases.size(), failed(), took.toMillis() / 1000.0);
            byRule().forEach((rule, list) -> {
                long passed = list.stream().filter(Case::passed).count();
                long skipped = list.stream().filter(Case::skipped).count();
                out.printf("  %-3s %s: %d/%d passed%s%n", rule, passed == list.size() - skipped ? "ok  " : "FAIL", passed, list.size(),
                        skipped > 0 ? ", %d skipped".formatted(skipped) : "");
                list.stream().filter(c -> c.failure() != null).limit(5).forEach(c -> out.printf("      %s%n        %s%n", c.name(), shorten(c.failure())));
            });
            out.println(allPassed() ? "PASSED: the backend follows every rule it was tested on"
                    : "FAILED: see the rule lists of BackendConformanceTest and BackendReferenceTest (R), or GeneratorConformanceTest (G), for what to look at");
            out.flush();
        }

        public String toMarkdown() {
            StringBuilder md = new StringBuilder("# Conformance of backend `%s`\n\n%d case(s), %d failed, %.1f s. Rules: see `BackendConformanceTest` and `BackendReferenceTest`.\n\n"
                    .formatted(backend, cases.size(), failed(), took.toMillis() / 1000.0));
            md.append("| rule | result | case | failure |\n|---|---|---|---|\n");
            byRule().forEach((rule, list) -> list.forEach(c -> md.append("| %s | %s | %s | %s |\n".formatted(rule,
                    c.passed() ? "pass" : c.skipped() ? "skipped" : "**fail**", c.name().replace("|", "\\|"),
                    c.failure() == null ? "" : shorten(c.failure()).replace("|", "\\|").replace("\n", " ")))));
            return md.toString();
        }

        /** Writes {@code conformance-<backend>.md} into {@code dir}; returns the file. */
        public Path writeMarkdown(Path dir) throws IOException {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve("conformance-" + backend.replaceAll("[^A-Za-z0-9._-]", "_") + ".md"), toMarkdown());
        }
    }

    private ConformanceRun() {}

    /** Runs every backend rule against {@code backend} (an id, or {@code class:} and a provider class name). */
    public static Report run(String backend) {
        requireNonNull(backend, "backend is null");
        String before = System.getProperty(DiscoveredBackendTest.BACKEND_PROPERTY);
        System.setProperty(DiscoveredBackendTest.BACKEND_PROPERTY, backend);
        List<Case> cases = new ArrayList<>();
        long start = System.nanoTime();
        try {
            Class<?> rules;
            try {
                rules = generatesItself(DiscoveredBackendTest.discover()) ? DiscoveredGeneratorTest.class : DiscoveredBackendTest.class;
            } catch (RuntimeException e) { // one clear failure, not one per rule, when the backend is not there or cannot open
                cases.add(new Case("setup", "find and open backend " + backend, e.getMessage(), false));
                return new Report(backend, cases, Duration.ofNanos(System.nanoTime() - start));
            }
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(rules))
                    .filters(org.junit.platform.launcher.EngineFilter.includeEngines("junit-jupiter"))
                    .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "false").build();
            LauncherFactory.create().execute(request, new TestExecutionListener() {
                @Override
                public void executionSkipped(TestIdentifier test, String reason) {
                    if (test.isTest()) {
                        cases.add(new Case(rule(test), test.getDisplayName(), null, true));
                    }
                }

                @Override
                public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                    if (test.isTest() && result.getStatus() == TestExecutionResult.Status.ABORTED) {
                        // an assumption said the rule cannot be checked on this backend: skipped, with the reason
                        cases.add(new Case(rule(test), "%s (skipped: %s)".formatted(test.getDisplayName(),
                                result.getThrowable().map(Throwable::getMessage).orElse("aborted")), null, true));
                    } else if (test.isTest()) {
                        String failure = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL ? null
                                : result.getThrowable().map(t -> t.getClass().getSimpleName() + ": " + t.getMessage()).orElse(result.getStatus().toString());
                        cases.add(new Case(rule(test), test.getDisplayName(), failure, false));
                    } else if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                        // a container failed (the backend could not be found or opened, the models not written): one case says why
                        cases.add(new Case("setup", test.getDisplayName(), result.getThrowable().map(t -> t.getClass().getSimpleName() + ": " + t.getMessage())
                                .orElse(result.getStatus().toString()), false));
                    }
                }
            });
        } finally {
            if (before == null) {
                System.clearProperty(DiscoveredBackendTest.BACKEND_PROPERTY);
            } else {
                System.setProperty(DiscoveredBackendTest.BACKEND_PROPERTY, before);
            }
        }
        return new Report(backend, cases, Duration.ofNanos(System.nanoTime() - start));
    }

    /** The rule id in a test's display name: "R1 logits ..." (parameterized) or "r4TruncateThen...()" / "g5Cancel...()" (a method). */
    static String rule(TestIdentifier test) {
        Matcher m = RULE.matcher(test.getDisplayName());
        return !m.find() ? "other" : m.group(1) != null ? m.group(1) : m.group(2).toUpperCase(java.util.Locale.ROOT) + m.group(3);
    }

    /**
     * Whether the backend runs whole models in its own generation loop: it declares no layer ranges and a whole
     * model it loads (the suite's smallest synthetic one) offers a generator. Such a backend gets the G rules.
     */
    static boolean generatesItself(dev.baremetalrt.spi.BackendProvider provider) {
        try (dev.baremetalrt.spi.Backend backend = provider.open(dev.baremetalrt.spi.BackendOptions.defaults())) {
            if (backend.capabilities().layerRanges()) {
                return false;
            }
            Path file = Files.createTempFile("brt-conformance-probe", ".gguf");
            try {
                dev.baremetalrt.core.synth.SyntheticModelGenerator.write(BackendReferenceTest.GQA, dev.baremetalrt.spi.WeightType.F32, 1, file);
                try (dev.baremetalrt.core.model.LlamaModel model = dev.baremetalrt.core.model.LlamaModel.open(file);
                     dev.baremetalrt.spi.Shard shard = backend.load(new dev.baremetalrt.spi.ShardSpec(model,
                             new dev.baremetalrt.spi.LayerRange(0, model.config().layerCount()), true, true, 64))) {
                    return shard.generator().isPresent();
                }
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String shorten(String text) {
        String oneLine = text.replace('\n', ' ');
        return oneLine.length() > 300 ? oneLine.substring(0, 300) + "…" : oneLine;
    }
}
