package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

class InfoCommandTest {

    @Test
    void printsJavaAndMachine() {
        Cli.Result r = Cli.run("info");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("Java: " + System.getProperty("java.version")), r.out());
        assertTrue(r.out().contains("CPUs: " + Runtime.getRuntime().availableProcessors()), r.out());
        assertTrue(r.out().contains("OS: " + System.getProperty("os.name")), r.out());
    }

    @Test
    void printsThePlanCacheAgainstItsBudget() {
        String out = Cli.run("info").out();
        String line = out.lines().filter(l -> l.startsWith("Plan cache: ")).findFirst().orElseThrow(() ->
                new AssertionError("no plan cache line in:\n" + out));
        assertTrue(line.matches("Plan cache: \\d+ plans? keeps? \\d+\\.\\d MiB of a "
                + String.format(java.util.Locale.ROOT, "%.1f", dev.jconv.backend.PlanCache.budgetBytes() / 1048576.0)
                + " MiB budget .*"), line);
    }

    @Test
    void listsEveryKnownBackendWithItsExactAvailability() {
        String out = Cli.run("info").out();
        List<String> lines = out.lines().toList();
        for (ConvBackend b : Backends.all()) {
            String expected = b.availability().toString();
            assertTrue(lines.stream().anyMatch(l -> l.trim().startsWith(b.name() + " ") && l.endsWith(expected)),
                    () -> b.name() + " with '" + expected + "' missing from:\n" + out);
        }
        assertTrue(out.contains("cpu-reference  available: pure Java, always available"), out);
    }

    @Test
    void printsTheAutoRule() {
        String out = Cli.run("info").out();
        assertTrue(out.endsWith(Backends.autoRule() + "\n"), out);
        assertTrue(Backends.autoRule().contains("in this order: cudnn, cuda-ptx"), Backends.autoRule());
    }
}
