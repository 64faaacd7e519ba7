package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On the class path without {@code --add-modules jdk.incubator.vector}, {@code cpu} stays the backend {@code auto}
 * picks (on its plain-Java path, still agreeing with the reference) and says so exactly once, through
 * {@link System.Logger}, naming the flag and the cost. Checked in a fresh JVM started without the flag.
 */
class MissingVectorModuleTest {

    @Test
    void cpuRunsPlainJavaAndWarnsOnceWithoutTheFlag() throws Exception {
        Path out = Files.createTempFile("jconv-novector", ".out");
        Path err = Files.createTempFile("jconv-novector", ".err");
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), MissingVectorModuleMain.class.getName())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe finished");
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), () -> lines + "\n" + stderr);
            assertEquals(List.of("vector module: absent", "auto: cpu", "auto: cpu", "auto: cpu"), lines.subList(0, 4));
            assertTrue(lines.get(4).startsWith("plan: plain Java loops"), lines.get(4));
            assertEquals("all agree with cpu-reference", lines.get(5));

            // java.util.logging's default console format: a source line, then "WARNING: <message>"
            List<String> warnings = stderr.lines().filter(l -> l.startsWith("WARNING: ")).toList();
            assertEquals(List.of("WARNING: " + VectorModule.WARNING), warnings, stderr);
            assertTrue(VectorModule.WARNING.contains("--add-modules jdk.incubator.vector"));
            assertTrue(VectorModule.WARNING.matches(".*about \\d+(\\.\\d+)?x slower.*"), VectorModule.WARNING);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
