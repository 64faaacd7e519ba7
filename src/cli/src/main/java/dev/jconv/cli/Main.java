package dev.jconv.cli;

import dev.jconv.cpu.CpuBackend;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code jconv} command line. Every subcommand is registered in {@link #commandLine()}, one line each.
 *
 * <p>Exit status: 0 on success, 2 for bad input (bad options, files or shapes; one line {@code error: ...} on
 * stderr), 3 when the JVM runs out of memory, 1 for an internal error. See {@link Failures}.
 */
@Command(name = "jconv", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        synopsisSubcommandLabel = "COMMAND",
        description = "PyTorch-exact Conv2d for the JVM: nn.Conv2d / F.conv2d semantics on pluggable backends.",
        footer = {"", "Run 'jconv COMMAND --help' for a command's options.",
                "Exit status: 0 success, 2 bad input, 3 out of memory, 1 internal error (JCONV_DEBUG=1 prints its "
                        + "stack trace)."})
public final class Main implements Runnable {

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        // One command, then exit: no background kernel priming, which pays off in long-lived library processes
        // (bench warms each layer up itself, and the primer would share the cores with its first layers).
        if (System.getProperty(CpuBackend.PRIME_PROPERTY) == null) {
            System.setProperty(CpuBackend.PRIME_PROPERTY, "false");
        }
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(execute(args, out, err));
    }

    /** The full command tree. To add a subcommand, add one {@code addSubcommand} line here. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand(new RunCommand());
        cli.addSubcommand(new ShapeCommand());
        cli.addSubcommand(new InfoCommand());
        cli.addSubcommand(new BenchCommand());
        cli.addSubcommand(new VisualizeCommand());
        cli.addSubcommand(new ReportCommand());
        cli.addSubcommand(new ModelCommand());
        return cli;
    }

    /** Runs {@code jconv args} in-process, printing to {@code out} and {@code err}; returns the exit status. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return execute(commandLine(), args, out, err);
    }

    /** Runs a command tree with jconv's error reporting (tests use this to plug in their own subcommands). */
    static int execute(CommandLine cli, String[] args, PrintWriter out, PrintWriter err) {
        boolean debug = "1".equals(System.getenv("JCONV_DEBUG"));
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, a) -> Failures.report(e, err, debug));
        cli.setExecutionExceptionHandler((e, c, p) -> Failures.report(e, err, debug));
        try {
            return cli.execute(args);
        } catch (Throwable t) {
            // Errors such as OutOfMemoryError pass picocli's handlers; they still get one line, not a trace.
            return Failures.report(t, err, debug);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** {@code jconv} without a command shows the usage. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
