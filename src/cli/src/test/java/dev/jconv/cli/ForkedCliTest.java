package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI in a JVM of its own, for what an in-process run cannot show: a small heap running out (exit 3, one
 * line) and the environment variables the process starts with.
 */
class ForkedCliTest {
    @TempDir
    Path dir;

    private record Exit(int code, String out, String err) {}

    @Test
    void runningOutOfMemoryIsExitThreeWithOneLine() throws Exception {
        Path x = dir.resolve("x.npy");
        Path w = dir.resolve("w.npy");
        Npy.write(x, Tensor.randn(1, 1, 1, 1, 1));
        Npy.write(w, Tensor.randn(2, 1, 1, 1, 1));
        Path out = dir.resolve("y.npy");
        // padding 4000 makes a 8001 x 8001 output: 256 MB in a 64 MB heap
        Exit e = jconv(Map.of(), "-Xmx64m", "run", "--input", x.toString(), "--weight", w.toString(), "--padding",
                "4000", "--backend", "cpu-reference", "--output", out.toString());
        assertEquals(3, e.code(), e.err());
        assertEquals(1, e.err().lines().count(), e.err());
        assertTrue(e.err().startsWith("error: out of memory (Java heap space); give Java more heap, e.g. "
                + "JAVA_OPTS=-Xmx8g ./jconv ..."), e.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void aThreadCountOutOfRangeInTheEnvironmentIsNamedWithItsLimit() throws Exception {
        Exit e = jconv(Map.of("JCONV_THREADS", "40000"), "-Xmx256m", "bench", "--layer", "1,4,9,11,6,3,1,1,1,1",
                "--backend", "cpu", "--iterations", "1", "--warmup", "0");
        assertEquals(2, e.code(), e.err());
        assertEquals("error: environment variable JCONV_THREADS must be from 1 to 1024, got 40000", e.err().strip());
    }

    private Exit jconv(Map<String, String> env, String heap, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                heap, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile());
        pb.environment().remove("JCONV_THREADS");
        pb.environment().remove("JCONV_DEBUG");
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the forked jconv did not finish");
        return new Exit(p.exitValue(), Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8).replaceAll("(?m)^WARNING: Using incubator modules.*\\R", ""));
    }
}
