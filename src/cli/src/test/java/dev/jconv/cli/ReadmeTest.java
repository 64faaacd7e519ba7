package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Conv2d;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeps README.md true: its code compiles and prints what it says, its commands print what it shows. */
class ReadmeTest {
    private static final Pattern FENCE = Pattern.compile("(?ms)^```(\\w+)\\n(.*?)^```$");
    /** Where the README's commands write; the test writes into its own directory instead. */
    private static final String README_OUTPUT = "/tmp/y.npy";

    @TempDir
    Path dir;

    private record Block(String language, String text) {}

    /**
     * The fenced blocks of one part of the README: {@code ""} is the part before the first {@code ## } heading,
     * otherwise the section with that heading (its subsections included). Other sections may hold other
     * samples (benchmarks, say) that these checks must not run.
     */
    private static List<Block> blocks(String section, String language) throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = section.isEmpty() ? 0 : readme.indexOf("\n## " + section + "\n");
        assertTrue(start >= 0, "README has no section " + section);
        int end = readme.indexOf("\n## ", start + 1);
        String part = readme.substring(start, end < 0 ? readme.length() : end + 1);
        List<Block> blocks = new ArrayList<>();
        Matcher m = FENCE.matcher(part);
        while (m.find()) {
            if (m.group(1).equals(language)) {
                blocks.add(new Block(m.group(1), m.group(2)));
            }
        }
        return blocks;
    }

    @Test
    void newcomerCommandsAreTheMainJobAndTheTests() throws IOException {
        List<Block> bash = blocks("", "bash");
        assertEquals(2, bash.size(), "exactly two commands for a newcomer");
        String mainJob = bash.get(0).text().strip();
        assertTrue(mainJob.startsWith("./jconv info && ./jconv run "), mainJob);
        for (String command : mainJob.split(" && ")) {
            Cli.Result r = Cli.run(argv(command));
            assertEquals(0, r.exitCode(), () -> command + " failed: " + r.err());
        }
        String testCommand = bash.get(1).text().strip();
        assertEquals("mvn test", testCommand);
        List<String> ci = Files.readAllLines(Path.of(".ci/run"));
        assertTrue(ci.contains(testCommand), ".ci/run must run exactly the README's test command");
    }

    @Test
    void apiExampleCompilesAndPrintsWhatTheReadmeShows() throws Exception {
        assertSectionRunsAsShown("API example", "Example");
    }

    /** The plan section's code (plans, options, wrapped buffers) needs the engine alone, like the library section's. */
    @Test
    void planExampleCompilesAndPrintsWhatTheReadmeShows() throws Exception {
        assertSectionRunsAsShown("Plans, options, memory and interrupts", "PlanExample");
    }

    /** The Networks section's SimpleCNN: built, loaded from PyTorch's state_dict, run, compared with PyTorch. */
    @Test
    void networksExampleCompilesAndPrintsWhatTheReadmeShows() throws Exception {
        assertSectionRunsAsShown("Networks", "SimpleCnn");
    }

    /** The library section's code needs the engine alone: it is compiled against jconv's own classes only. */
    @Test
    void libraryExampleCompilesAgainstTheEngineAloneAndPrintsWhatTheReadmeShows() throws Exception {
        assertSectionRunsAsShown("Use as a library", "LibraryExample");
        List<Block> xml = blocks("Use as a library", "xml");
        assertEquals(2, xml.size(), "the CPU dependency and the one more for GPU");
        assertTrue(xml.get(0).text().contains("<artifactId>jconv</artifactId>"), xml.get(0).text());
        assertTrue(xml.get(1).text().contains("<artifactId>jconv-cuda</artifactId>"), xml.get(1).text());
    }

    /** Compiles the section's one Java block against the engine's classes, runs it, compares with its text block. */
    private void assertSectionRunsAsShown(String section, String className) throws Exception {
        List<Block> java = blocks(section, "java");
        assertEquals(1, java.size());
        Path src = dir.resolve(className + ".java");
        Files.writeString(src, java.get(0).text());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String classes = Path.of(Conv2d.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-Xlint:all", "-Werror", "-cp", classes,
                "-d", dir.toString(), src.toString());
        assertEquals(0, rc, () -> "README's Java example in " + section + " does not compile:\n" + diagnostics);

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = loader.loadClass(className).getMethod("main", String[].class);
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        String expected = blocks(section, "text").get(0).text();
        assertEquals(expected, printed.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"));
    }

    /** Every {@code $ ./jconv ...} sample in these sections prints exactly what it shows. */
    @Test
    void consoleSamplesAreWhatTheCliPrints() throws IOException {
        List<Block> samples = new ArrayList<>(blocks("CLI", "console"));
        samples.addAll(blocks("Error handling", "console"));
        samples.addAll(blocks("Networks", "console"));
        int checked = 0;
        for (Block block : samples) {
            String[] lines = block.text().split("\n");
            for (int i = 0; i < lines.length; i++) {
                assertTrue(lines[i].startsWith("$ ./jconv "), () -> "a console block starts with a command: " + block);
                String command = lines[i].substring(2);
                StringBuilder expected = new StringBuilder();
                while (i + 1 < lines.length && !lines[i + 1].startsWith("$ ")) {
                    expected.append(lines[++i]).append('\n');
                }
                Cli.Result r = Cli.run(argv(command));
                String output = dir.resolve("y.npy").toString();
                assertEquals(expected.toString().replace(README_OUTPUT, output), r.err() + r.out(), command);
                checked++;
            }
        }
        assertTrue(checked >= 8, "console samples found: " + checked);
    }

    /** The arguments of {@code ./jconv a b c}, with the README's output path moved into the test's directory. */
    private String[] argv(String command) {
        assertTrue(command.startsWith("./jconv "), command);
        assertFalse(command.contains("\"") || command.contains("'"), "samples use no quoting: " + command);
        return command.substring("./jconv ".length()).replace(README_OUTPUT, dir.resolve("y.npy").toString())
                .split(" ");
    }
}
