/**
 * The {@code brt} command line: {@code demo}, {@code generate}, {@code tokenize}, {@code backends},
 * {@code synth} and {@code bench} ({@code brt test} is handled by the launcher script). Every command
 * has {@code --help}; errors are one line on stderr and a non-zero exit code, never a stack trace
 * ({@code BRT_DEBUG=1} prints it for developers). Text goes to stdout, progress and statistics to stderr.
 */
package dev.baremetalrt.cli;
