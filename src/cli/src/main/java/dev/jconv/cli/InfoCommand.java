package dev.jconv.cli;

import dev.jconv.backend.Availability;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.PlanCache;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code jconv info}: the machine as jconv sees it, and for every backend this build knows whether it can run
 * here and, if not, exactly why (the same reasons {@code run --explain} and {@code auto} use), and how much the
 * plan caches hold against their budget.
 */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Prints the Java runtime, the machine, and every backend with its availability.")
final class InfoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Runtime rt = Runtime.getRuntime();
        out.println("jconv " + VersionProvider.jconvVersion());
        out.println("Java: " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("java.vm.name") + ")");
        out.println("OS: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " ("
                + System.getProperty("os.arch") + ")");
        out.println("CPUs: " + rt.availableProcessors());
        out.println(String.format(Locale.ROOT, "Max heap: %.1f GiB", rt.maxMemory() / (double) (1L << 30)));
        out.println("Plan cache: " + PlanCache.describe());
        List<ConvBackend> all = Backends.all();
        int width = all.stream().mapToInt(b -> b.name().length()).max().orElse(0);
        out.println("Backends:");
        for (ConvBackend b : all) {
            out.println("  " + String.format(Locale.ROOT, "%-" + width + "s", b.name()) + "  " + probe(b));
        }
        out.println(Backends.autoRule());
        return 0;
    }

    /** A probe that throws (a missing native library, say) is reported, not fatal: info must always print. */
    private static Availability probe(ConvBackend b) {
        try {
            return b.availability();
        } catch (RuntimeException | LinkageError e) {
            return Availability.no("availability check failed: " + e);
        }
    }
}
