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
        subcommands = {DemoCommand.class, GenerateCommand.class, TokenizeCommand.class, BackendsCommand.class,
                SynthCommand.class, BenchCommand.class, CommandLine.HelpCommand.class},
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

    /** Runs a command line; returns the exit code. Used by tests too. */
    public static int execute(String... args) {
        if (Settings.get("debug").isEmpty()) {
            Logger.getLogger("").setLevel(Level.WARNING);
        }
        CommandLine cmd = new CommandLine(new BrtCommand());
        cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("brt " + commandLine.getCommandName() + ": " + message(ex));
            if (Settings.get("debug").isPresent()) {
                ex.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        cmd.setParameterExceptionHandler((ex, strings) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("brt " + ex.getCommandLine().getCommandName() + ": " + ex.getMessage() + " (see --help)");
            err.flush();
            return 2;
        });
        return cmd.execute(args);
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
