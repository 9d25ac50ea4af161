package dev.baremetalrt.cli;

import dev.baremetalrt.spi.BrtException;
import dev.baremetalrt.spi.Settings;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code brt}. */
@Command(name = "brt",
        mixinStandardHelpOptions = true,
        version = "BareMetalRT 0.1.0-SNAPSHOT",
        description = "BareMetalRT: run Llama-family models on the machines you have.",
        subcommands = {DemoCommand.class, GenerateCommand.class, TokenizeCommand.class, BackendsCommand.class, ConformanceCommand.class,
                SynthCommand.class, BenchCommand.class, ServeCommand.class, LoadTestCommand.class, NodeCommand.class, PlanCommand.class, ClusterCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'brt COMMAND --help' for a command's options. 'brt test' (launcher only) runs the test suite."})
public final class BrtCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line with stdout/stderr as UTF-8; returns the exit code. */
    public static int execute(String... args) {
        var out = new PrintWriter(new java.io.OutputStreamWriter(new java.io.FileOutputStream(java.io.FileDescriptor.out), java.nio.charset.StandardCharsets.UTF_8), true);
        var err = new PrintWriter(new java.io.OutputStreamWriter(new java.io.FileOutputStream(java.io.FileDescriptor.err), java.nio.charset.StandardCharsets.UTF_8), true);
        return execute(out, err, args);
    }

    /** Runs a command line writing to the given streams; returns the exit code. Used by tests. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        if (Settings.get("debug").isEmpty()) {
            Logger.getLogger("").setLevel(Level.WARNING);
        }
        CommandLine cmd = new CommandLine(new BrtCommand());
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter e = commandLine.getErr();
            e.println("brt " + commandLine.getCommandName() + ": " + message(ex));
            if (Settings.get("debug").isPresent()) {
                ex.printStackTrace(e);
            }
            e.flush();
            return 1;
        });
        cmd.setParameterExceptionHandler((ex, strings) -> {
            PrintWriter e = ex.getCommandLine().getErr();
            e.println("brt " + ex.getCommandLine().getCommandName() + ": " + ex.getMessage() + " (see --help)");
            e.flush();
            return 2;
        });
        try {
            return cmd.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** One line for the user: our own errors speak for themselves; others get their type named. */
    static String message(Throwable ex) {
        if (ex instanceof BrtException || ex instanceof IllegalArgumentException) {
            return ex.getMessage();
        }
        if (ex instanceof UncheckedIOException io) {
            return io.getMessage();
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (" + ex.getMessage() + "): give the JVM more heap with BRT_JAVA_OPTS=-Xmx…";
        }
        return "unexpected " + ex.getClass().getSimpleName() + ": " + ex.getMessage() + " (BRT_DEBUG=1 shows the stack trace)";
    }
}
