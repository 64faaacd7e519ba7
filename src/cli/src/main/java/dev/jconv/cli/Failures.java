package dev.jconv.cli;

import dev.jconv.backend.BackendUnavailableException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * How the CLI reports a failure: exactly one line {@code error: <message>} on stderr, never a stack trace
 * (unless {@code JCONV_DEBUG=1}), and an exit status that tells bad input (2) from a bug (1) and from running
 * out of memory (3).
 */
final class Failures {
    static final int BAD_INPUT = CommandLine.ExitCode.USAGE;
    static final int INTERNAL = CommandLine.ExitCode.SOFTWARE;
    /** The JVM ran out of heap (or of native threads): neither the input's fault nor a bug; more memory helps. */
    static final int OUT_OF_MEMORY = 3;

    private Failures() {}

    /** Prints the one-line report (and the stack trace in debug mode) and returns the exit status. */
    static int report(Throwable t, PrintWriter err, boolean debug) {
        err.println("error: " + oneLine(message(t)));
        if (debug) {
            t.printStackTrace(err);
        }
        err.flush();
        return exitCode(t);
    }

    /** 2 for anything the user can fix by changing the command or its files, 3 for out of memory, 1 for bugs. */
    static int exitCode(Throwable t) {
        if (t instanceof OutOfMemoryError) {
            return OUT_OF_MEMORY;
        }
        return isBadInput(t) ? BAD_INPUT : INTERNAL;
    }

    private static boolean isBadInput(Throwable t) {
        return t instanceof ParameterException
                || t instanceof IllegalArgumentException
                || t instanceof BackendUnavailableException
                || t instanceof IOException
                || t instanceof UncheckedIOException;
    }

    static String message(Throwable t) {
        if (t instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            return u.getMessage() + " (did you mean: " + String.join(", ", u.getSuggestions()) + "?)";
        }
        if (t instanceof UncheckedIOException u) {
            return describe(u.getCause());
        }
        if (t instanceof IOException io) {
            return describe(io);
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory (" + t.getMessage() + "); give Java more heap, e.g. JAVA_OPTS=-Xmx8g ./jconv ...";
        }
        if (isBadInput(t)) {
            return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        }
        return "internal error: " + t + " (set JCONV_DEBUG=1 for the stack trace)";
    }

    /** A file error as {@code <file>: <reason>}; the JDK's own messages often give only the file name. */
    static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + ": " + reason(e);
        }
        return reason(e);
    }

    /** What went wrong with a file, without its name. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileSystemException f) {
            return f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
