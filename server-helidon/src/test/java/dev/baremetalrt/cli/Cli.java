package dev.baremetalrt.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@code brt} in-process and captures what it prints. */
record Cli(int exitCode, String out, String err) {
    static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BrtCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(code, out.toString(), err.toString());
    }
}
