package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import picocli.CommandLine;

/** Runs the CLI in-process, capturing what it prints, and checks the error contract. */
final class Cli {
    private Cli() {}

    record Result(int exitCode, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    static Result run(String... args) {
        return run(Main.commandLine(), args);
    }

    static Result run(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(cli, args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    /** The error contract: the exit status, one line {@code error: ...} on stderr, no stack trace, nothing on stdout. */
    static String assertOneLineError(Result r, int expectedExit) {
        assertEquals(expectedExit, r.exitCode(), () -> "exit status; stderr was:\n" + r.err());
        assertEquals(1, r.errLines().size(), () -> "stderr must be exactly one line, was:\n" + r.err());
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("error: "), () -> "stderr must start with 'error: ', was: " + line);
        assertFalse(line.contains("Exception") && !line.contains("internal error"),
                () -> "a bad-input message must not show an exception class: " + line);
        assertFalse(r.err().contains("\tat "), "no stack trace");
        assertEquals("", r.out(), "nothing on stdout when failing");
        return line.substring("error: ".length());
    }
}
