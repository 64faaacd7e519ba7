package dev.jconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keeps docker/ in step with the project without a container engine (docker/verify.sh does the real build
 * and run, but it is slow and not part of CI): the images run the README's test command, copy only files
 * that exist, and the GPU image's CUDA major is the one the JCuda natives link against.
 */
class ContainerImagesTest {
    private static final Path CPU = Path.of("docker/Dockerfile.cpu");
    private static final Path GPU = Path.of("docker/Dockerfile.gpu");

    /** The Dockerfile with continuation lines joined, so that each instruction is one line. */
    private static String instructions(Path dockerfile) throws IOException {
        return Files.readString(dockerfile).replace("\\\n", " ");
    }

    private static List<String> all(Pattern pattern, String text) {
        List<String> found = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    /** The README's test command: the second bash block before its first section, as ReadmeTest pins it. */
    private static String readmeTestCommand() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        String intro = readme.substring(0, readme.indexOf("\n## "));
        List<String> bash = all(Pattern.compile("(?ms)^```bash\\n(.*?)^```$"), intro);
        return bash.get(1).strip();
    }

    /** The words of the last stage's CMD (the image's default command), without its quoting. */
    private static List<String> defaultCommand(String instructions) {
        List<String> cmds = all(Pattern.compile("(?m)^CMD \\[(.*)]$"), instructions);
        String last = cmds.get(cmds.size() - 1);
        return Arrays.stream(last.split(",")).map(s -> s.strip().replaceAll("^\"|\"$", "")).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker/Dockerfile.cpu", "docker/Dockerfile.gpu"})
    void defaultCommandIsTheReadmeTestCommandInBatchModeAndOffline(String dockerfile) throws IOException {
        List<String> words = new ArrayList<>(defaultCommand(instructions(Path.of(dockerfile))));
        assertTrue(words.remove("-B") && words.remove("-o"), () -> dockerfile + " CMD is not batch and offline: " + words);
        assertEquals(readmeTestCommand(), String.join(" ", words), dockerfile + " default command vs README");
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker/Dockerfile.cpu", "docker/Dockerfile.gpu"})
    void stagesEndWithTestAndOfferTheSeedBench(String dockerfile) throws IOException {
        String text = instructions(Path.of(dockerfile));
        List<String> stages = all(Pattern.compile("(?mi)^FROM \\S+ AS (\\S+)$"), text);
        assertEquals(List.of("toolchain", "deps", "build", "bench", "test"), stages, dockerfile);
        String bench = text.substring(text.indexOf(" AS bench\n"), text.indexOf(" AS test\n"));
        assertTrue(bench.contains("CMD [\"./jconv\", \"bench\", \"--suite\", \"seeds\""), bench);
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker/Dockerfile.cpu", "docker/Dockerfile.gpu"})
    void everyCopiedFileExists(String dockerfile) throws IOException {
        for (String copy : all(Pattern.compile("(?m)^COPY (.*)$"), instructions(Path.of(dockerfile)))) {
            List<String> paths = Arrays.stream(copy.trim().split("\\s+")).filter(w -> !w.startsWith("--")).toList();
            for (String source : paths.subList(0, paths.size() - 1)) {
                assertTrue(Files.exists(Path.of(source)), () -> dockerfile + " copies missing " + source);
            }
        }
    }

    @Test
    void gpuImageCarriesTheCudaMajorOfTheJcudaNativesAndRequiresTheGpu() throws IOException {
        String gpu = instructions(GPU);
        Matcher base = Pattern.compile("(?m)^ARG BASE_IMAGE=nvidia/cuda:(\\d+)\\.\\d+\\.\\d+-cudnn-runtime-ubuntu\\S+$")
                .matcher(gpu);
        assertTrue(base.find(), "the GPU base is an nvidia/cuda cudnn-runtime tag");
        // JCublas/JNvrtc natives of JCuda X.Y link the CUDA X libraries (libcublas.so.X): 12.6.0 -> CUDA 12.
        Matcher jcuda = Pattern.compile("<jcuda\\.version>(\\d+)\\.").matcher(Files.readString(Path.of("pom.xml")));
        String cudaMajor = jcuda.find() ? jcuda.group(1) : "12";
        assertEquals(cudaMajor, base.group(1), "CUDA major of the GPU base vs the JCuda version in pom.xml");
        assertTrue(gpu.contains("libcublas\\.so\\." + cudaMajor + " "), "the build checks for libcublas.so." + cudaMajor);
        assertTrue(gpu.contains("libcudnn\\.so\\.9 "), "the build checks for cuDNN 9");
        String testStage = gpu.substring(gpu.indexOf(" AS test\n"));
        assertTrue(testStage.contains("ENV JCONV_REQUIRE_GPU=1"), "GPU tests must fail, not skip, in the GPU image");
        assertTrue(testStage.contains("JCONV_REQUIRE_CUBLAS=1"), "the image has CUDA 12 cuBLAS, so cublas tests must not skip");
    }

    @Test
    void composeHasCpuAndGpuServicesWithAnNvidiaReservation() throws IOException {
        String compose = Files.readString(Path.of("docker/compose.yaml"));
        assertTrue(compose.contains("\n  cpu:\n") && compose.contains("\n  gpu:\n"), "cpu and gpu services");
        assertTrue(compose.contains("dockerfile: docker/Dockerfile.cpu") && compose.contains("dockerfile: docker/Dockerfile.gpu"));
        assertTrue(compose.contains("context: ..\n"), "build context is the repository root");
        String gpu = compose.substring(compose.indexOf("\n  gpu:\n"));
        assertTrue(gpu.matches("(?s).*reservations:\\s+devices:\\s+- driver: nvidia\\s+count: all\\s+capabilities: \\[gpu].*"), gpu);
    }

    @Test
    void buildContextLeavesOutBuildOutputButKeepsSourcesAndFixtures() throws IOException {
        List<String> rules = Files.readAllLines(Path.of(".dockerignore")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertTrue(rules.contains("**/target/") && rules.contains(".git"), rules::toString);
        int npy = rules.indexOf("**/*.npy");
        int keepSources = rules.indexOf("!src/**");
        assertTrue(npy >= 0 && keepSources > npy, "*.npy outputs are ignored, then src/ (fixtures, examples) re-included");
        assertTrue(rules.stream().noneMatch(r -> r.equals("src/") || r.equals("src") || r.equals("pom.xml")), rules::toString);
    }

    @Test
    void cpuImageIsDebianBookwormWithItsOwnJdk17AndMaven() throws IOException {
        String cpu = instructions(CPU);
        assertTrue(cpu.contains("ARG BASE_IMAGE=debian:bookworm-slim"), "CPU base");
        assertTrue(cpu.contains("apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven"), "JDK and Maven from Debian");
        assertTrue(cpu.contains("CMD [\"./jconv\", \"bench\", \"--suite\", \"seeds\"]\n"), "CPU bench: the seed suite on cpu");
    }
}
