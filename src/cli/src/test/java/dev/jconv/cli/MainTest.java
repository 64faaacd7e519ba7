package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {

    @Test
    void topLevelHelpListsEveryCommand() {
        Cli.Result r = Cli.run("--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().startsWith("Usage: jconv"), r.out());
        for (String command : new String[] {"run", "shape", "info"}) {
            assertTrue(r.out().contains("\n  " + command + " "), () -> command + " missing from:\n" + r.out());
        }
        assertEquals("", r.err());
    }

    @Test
    void noCommandShowsTheUsage() {
        Cli.Result r = Cli.run();
        assertEquals(0, r.exitCode());
        assertTrue(r.out().startsWith("Usage: jconv"), r.out());
    }

    @Test
    void versionNamesJconvAndJava() {
        Cli.Result r = Cli.run("--version");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().matches("(?s)jconv \\d+\\.\\d+\\.\\d+\\S*\nJava 17.*"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "shape", "info"})
    void everyCommandHasHelp(String command) {
        Cli.Result r = Cli.run(command, "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().startsWith("Usage: jconv " + command), r.out());
        assertTrue(r.out().contains("--help"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void runHelpDocumentsEveryOption() {
        String help = Cli.run("run", "--help").out();
        for (String option : new String[] {"--input", "--weight", "--bias", "--stride", "--padding", "--dilation",
                "--groups", "--padding-mode", "--backend", "--explain", "--output"}) {
            assertTrue(help.contains(option), () -> option + " missing from run --help");
        }
    }

    @Test
    void unknownOptionIsPicocliMessageAndExit2() {
        String message = Cli.assertOneLineError(Cli.run("info", "--frobnicate"), 2);
        assertEquals("Unknown option: '--frobnicate'", message);
    }

    @Test
    void unknownCommandSuggestsTheNearestOne() {
        String message = Cli.assertOneLineError(Cli.run("shap"), 2);
        assertEquals("Unmatched argument at index 0: 'shap' (did you mean: shape?)", message);
    }

    @Test
    void missingRequiredOptionsAreNamed() {
        String message = Cli.assertOneLineError(Cli.run("run", "--input", "x.npy"), 2);
        assertTrue(message.startsWith("Missing required options:"), message);
        assertTrue(message.contains("--weight") && message.contains("--output"), message);
    }
}
