package dev.jconv.cuda.cudnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.cuda.AvailabilityProbeMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host cuDNN that lacks a function jconv calls: a fresh JVM whose libcudnn.so.9 is a stand-in built here
 * with g++ (every function of {@link Cudnn#FUNCTIONS} but one, under cuDNN's symbol version) reports cudnn
 * unavailable naming the missing function, and exits normally, where the first call of that function
 * would have ended it with "symbol lookup error". Skipped without g++.
 */
class CudnnPreflightTest {
    private static final String LEFT_OUT = "cudnnConvolutionBiasActivationForward";

    @Test
    void aCudnnWithoutAFunctionJconvCallsIsUnavailableNamingIt(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("cudnn.cpp");
        Files.writeString(source, Cudnn.FUNCTIONS.stream().filter(f -> !f.equals(LEFT_OUT))
                .map(f -> "extern \"C\" long " + f + "(...) { return " + (f.equals("cudnnGetVersion") ? 90500 : 0) + "; }")
                .collect(Collectors.joining("\n", "", "\n")));
        Files.writeString(dir.resolve("cudnn.map"), "libcudnn.so.9 { global: *; };\n");
        Assumptions.assumeTrue(run(dir, List.of("g++", "-shared", "-fPIC", "-Wl,--version-script=cudnn.map",
                "-Wl,-soname,libcudnn.so.9", "cudnn.cpp", "-o", "libcudnn.so.9"), null) == 0, "g++ could not build the stand-in");

        Path out = dir.resolve("probe.out");
        int status = run(dir, List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), AvailabilityProbeMain.class.getName()), out);
        String lines = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, status, lines);
        String lacks = dir.resolve("libcudnn.so.9") + " lacks [" + LEFT_OUT + "], which the cudnn backend calls";
        assertTrue(lines.contains("cudnn library: unavailable: " + lacks), lines);
        // the backend says so too where a driver is there to make cuDNN worth looking for
        assertTrue(lines.contains("cudnn: unavailable: " + lacks) || lines.contains("(cuDNN not looked for)"), lines);
    }

    /** Runs {@code command} in {@code dir} with only {@code dir} on the library path; its output to {@code out} (or discarded). */
    private static int run(Path dir, List<String> command, Path out) throws IOException, InterruptedException {
        ProcessBuilder b = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(out.toFile()));
        b.environment().put("LD_LIBRARY_PATH", dir.toString());
        Process p;
        try {
            p = b.start();
        } catch (IOException missingCompiler) {
            return -1;
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), command.get(0) + " finished");
        return p.exitValue();
    }
}
