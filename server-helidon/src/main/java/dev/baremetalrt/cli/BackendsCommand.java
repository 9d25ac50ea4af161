package dev.baremetalrt.cli;

import dev.baremetalrt.core.engine.Backends;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.ProbeResult;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code brt backends}: list discovered backends and whether they can run here. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "List the backends found on the classpath, whether each can run on this machine, and if not, why.")
final class BackendsCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        java.io.PrintWriter out = spec.commandLine().getOut();
        List<BackendProvider> providers = Backends.discover();
        if (providers.isEmpty()) {
            out.println("no backends found on the classpath");
            return 1;
        }
        for (BackendProvider p : providers) {
            ProbeResult probe;
            try {
                probe = p.probe();
            } catch (RuntimeException | LinkageError e) {
                probe = ProbeResult.unavailable("probe failed: " + e);
            }
            out.printf("%-8s %-13s %s%n", p.id(), probe.available() ? "available" : "unavailable", probe.detail());
            out.printf("%-8s %-13s %s%n", "", "", p.description());
        }
        out.flush();
        return 0;
    }
}
