package dev.baremetalrt.cli;

import dev.baremetalrt.conformance.ConformanceRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code brt conformance --backend ID}: run the backend rules of the conformance suite against one backend and report. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = {"Run the conformance suite's backend rules (R1-R9 of BackendConformanceTest: logits against a float64 reference",
                "for every weight type and stage split, prefill vs token-by-token, batch invariance, truncate and replay, clear",
                "refusals of bad input, KV memory given back on release, concurrent sessions, no threads left after close, the",
                "declared batch limit) against a backend on the classpath (a jar in lib/ is enough), print the result per rule, and",
                "exit 0 only when every rule passed."})
final class ConformanceCommand implements Callable<Integer> {
    @Option(names = "--backend", required = true, description = "Backend id (see 'brt backends'), or class:<BackendProvider class name>.")
    String backend;

    @Option(names = "--report", paramLabel = "DIR", description = "Also write a Markdown report, conformance-<backend>.md, into DIR.")
    Path report;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("running the conformance rules against %s (R1-R9 on synthetic models of every weight type, or G1-G8 for a whole-model engine; 10-20 s on 2 cores)...%n", backend);
        out.flush();
        ConformanceRun.Report result = ConformanceRun.run(backend);
        result.print(out);
        if (report != null) {
            out.printf("report: %s%n", result.writeMarkdown(report));
            out.flush();
        }
        return result.allPassed() ? 0 : 1;
    }
}
