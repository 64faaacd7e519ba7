package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.Functional;
import dev.jconv.Tensor;
import dev.jconv.backend.Availability;
import dev.jconv.backend.BackendUnavailableException;
import dev.jconv.backend.Backends;
import dev.jconv.cpu.ReferenceBackend;
import dev.jconv.testkit.OutputComparison;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What jconv does on a machine without a GPU or driver (CI, this build machine): it loads quietly,
 * {@code cuda-ptx} says exactly why it is unavailable, a request for it by name fails with that
 * reason, and {@code auto} falls back to the CPU. Skipped on machines where CUDA works.
 */
class NoGpuBehaviourTest {
    private static final ConvGeometry GEOMETRY = LaunchPlannerTest.geometry(1, 3, 8, 8, 4, 3, 3, ConvParams.defaults());

    @Test
    void cudaPtxIsAutosFirstChoiceForDepthwiseAndSecondAfterCudnnOtherwise() {
        ConvGeometry depthwise = LaunchPlannerTest.geometry(1, 8, 8, 8, 8, 3, 3, ConvParams.defaults().withGroups(8));
        assertEquals(PtxBackend.NAME, Backends.autoOrder(depthwise).get(0).name());
        assertEquals(PtxBackend.NAME, Backends.autoOrder(GEOMETRY).get(1).name());
    }

    @Test
    void availabilityGivesTheReasonInOneLine() {
        String reason = GpuTestSupport.requireNoCuda();
        Availability a = Backends.byName(PtxBackend.NAME).availability();
        assertFalse(a.available());
        assertEquals(reason, a.reason());
        assertFalse(reason.contains("\n"), "one line: " + reason);
        assertFalse(reason.contains("\tat "), "no stack trace: " + reason);
        if (!new File("/usr/lib/x86_64-linux-gnu/libcuda.so.1").exists() && !new File("/usr/lib64/libcuda.so.1").exists()) {
            assertTrue(reason.startsWith("no NVIDIA driver: libcuda.so.1: cannot open shared object file"), reason);
        }
        assertEquals(a, Backends.byName(PtxBackend.NAME).availability(), "the same answer every time");
    }

    @Test
    void namingTheBackendFailsWithItsReason() {
        String reason = GpuTestSupport.requireNoCuda();
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Backends.select(PtxBackend.NAME, GEOMETRY));
        assertEquals("backend cuda-ptx is unavailable: " + reason, e.getMessage());
    }

    @Test
    void autoFallsBackToTheCpuAndSaysWhy() {
        String reason = GpuTestSupport.requireNoCuda();
        Backends.Selection s = Backends.select(Backends.AUTO, GEOMETRY);
        assertNotEquals(PtxBackend.NAME, s.backend().name());
        assertTrue(s.reason().contains("cuda-ptx unavailable (" + reason + ")"), s.reason());
        Tensor x = Tensor.randn(1, 1, 3, 8, 8);
        Tensor w = Tensor.randn(2, 4, 3, 3, 3);
        Tensor viaAuto = Functional.conv2d(x, w);
        Tensor viaReference = Functional.conv2d(x, w, null, ConvParams.defaults(), ReferenceBackend.NAME);
        // auto picks the fast cpu backend here: equal to the reference within the fp32 tolerance, not bit for bit
        OutputComparison.assertClose("auto (" + s.backend().name() + ") against cpu-reference",
                viaReference.data(), viaAuto.data(), viaReference.shape());
    }

    @Test
    void usingTheCudaLayerWithoutCudaThrowsTheReason() {
        String reason = GpuTestSupport.requireNoCuda();
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, CudaDevice::all);
        assertEquals("CUDA is unavailable: " + reason, e.getMessage());
        CudaUnavailableException p = assertThrows(CudaUnavailableException.class, () -> new PtxBackend().plan(GEOMETRY));
        assertEquals("backend cuda-ptx is unavailable: " + reason, p.getMessage());
        assertThrows(CudaUnavailableException.class, Cuda::driverVersion);
    }

    @Test
    void aFreshJvmLoadsQuietlyAndExplainsTheAbsentGpu() throws Exception {
        String reason = GpuTestSupport.requireNoCuda();
        Path out = Files.createTempFile("jconv-probe", ".out");
        Path err = Files.createTempFile("jconv-probe", ".err");
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), AvailabilityProbeMain.class.getName())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe finished");
            assertEquals(0, p.exitValue(), () -> read(err));
            assertEquals("", read(err), "nothing on stderr, native or Java");
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            assertTrue(lines.contains("cuda-ptx: unavailable: " + reason), lines.toString());
            assertTrue(lines.contains("cpu-reference: available: pure Java, always available"), lines.toString());
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void jcudasLoadFailureIsReducedToTheMissingLibrary() {
        // the shape of JCuda 12.6.0's message when libcuda.so.1 is absent (seen on this build machine)
        String message = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                + "Operating system name: Linux\n---(start of nested stack traces)---\n"
                + "Stack trace from the attempt to load the library as a file:\n"
                + "java.lang.UnsatisfiedLinkError: no JCudaDriver-12.6.0-linux-x86_64 in java.library.path: /usr/lib\n"
                + "\tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2434)\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open "
                + "shared object file: No such file or directory\n"
                + "\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)\n";
        assertEquals("no NVIDIA driver: libcuda.so.1: cannot open shared object file: No such file or directory",
                Cuda.explainLoadFailure(new UnsatisfiedLinkError(message)));
        String other = Cuda.explainLoadFailure(new UnsatisfiedLinkError("no JCudaDriver in java.library.path\nmore"));
        assertTrue(other.startsWith("JCuda's native library could not be loaded (UnsatisfiedLinkError: no JCudaDriver in"
                + " java.library.path; os.arch="), other);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
