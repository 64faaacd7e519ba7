package dev.jconv.cuda.cudnn;

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
import dev.jconv.cuda.Cuda;
import dev.jconv.testkit.OutputComparison;
import dev.jconv.cuda.CudaUnavailableException;
import dev.jconv.cuda.vendor.ElfSymbols;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The cudnn backend on a machine without cuDNN (CI, the build machine): one-line reasons, a request by name
 * fails with that reason, and auto falls back. Skipped where cuDNN loads.
 */
class CudnnNoGpuTest {
    private static final ConvGeometry GEOMETRY = CudnnConvShapeTest.geometry(1, 3, 8, 8, 4, 3, 3, ConvParams.defaults());

    private static String requireNoCudnn() {
        Availability a = Backends.byName(CudnnBackend.NAME).availability();
        Assumptions.assumeFalse(a.available(), "cudnn is available here (" + a.reason() + "); this test pins its absence");
        return a.reason();
    }

    @Test
    void theReasonIsOneLineNamingTheLibraryAndWhatTheHostHas() {
        String reason = requireNoCudnn();
        assertFalse(reason.contains("\n"), reason);
        assertFalse(reason.contains("\tat "), reason);
        if (Cuda.driverSurelyAbsent()) {
            assertEquals(Cuda.availability().reason() + " (cuDNN not looked for)", reason, "no driver: cuDNN is not probed");
        } else if (!Cudnn.libraryAvailability().available()) {
            assertTrue(reason.startsWith(Cudnn.libraryAvailability().reason()), reason);
            if (reason.startsWith("libcudnn.so.9 (cuDNN 9) not found")) {
                assertTrue(reason.contains("this host has "), reason);
            }
        }
        assertEquals(reason, new CudnnBackend(CudnnSettings.DEFAULTS).availability().reason(), "the same answer every time");
    }

    @Test
    void namingTheBackendFailsWithTheReason() {
        String reason = requireNoCudnn();
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Backends.select(CudnnBackend.NAME, GEOMETRY));
        assertEquals("backend cudnn is unavailable: " + reason, e.getMessage());
        CudaUnavailableException p = assertThrows(CudaUnavailableException.class, () -> new CudnnBackend().plan(GEOMETRY));
        assertEquals("backend cudnn is unavailable: " + reason, p.getMessage());
    }

    @Test
    void autoFallsBackAndSaysWhy() {
        String reason = requireNoCudnn();
        Backends.Selection s = Backends.select(Backends.AUTO, GEOMETRY);
        assertNotEquals(CudnnBackend.NAME, s.backend().name());
        assertTrue(s.reason().contains("cudnn unavailable (" + reason + ")"), s.reason());
        Tensor x = Tensor.randn(3, 1, 3, 8, 8);
        Tensor w = Tensor.randn(4, 4, 3, 3, 3);
        Tensor viaReference = Functional.conv2d(x, w, null, ConvParams.defaults(), ReferenceBackend.NAME);
        // auto picks the fast cpu backend here: equal to the reference within the fp32 tolerance, not bit for bit
        OutputComparison.assertClose("auto (" + s.backend().name() + ") against cpu-reference",
                viaReference.data(), Functional.conv2d(x, w).data(), viaReference.shape());
    }

    @Test
    void anInvalidSettingMakesTheBackendUnavailableWithThatReason() {
        String key = CudnnSettings.BENCHMARK.property();
        String before = System.getProperty(key);
        System.setProperty(key, "sometimes");
        try {
            Availability a = new CudnnBackend().availability();
            assertFalse(a.available());
            assertEquals("-Djconv.cudnn.benchmark='sometimes' is not a valid setting for cuDNN benchmark mode: use 1 or 0"
                    + " (true/false)", a.reason());
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    @Test
    void aMissingLibcudnnIsExplainedWithWhatTheHostHas() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(dev.jconv.cuda.vendor.NativeLibrariesTest.JCUDNN_WITHOUT_CUDNN);
        String none = Cudnn.explainLoadFailure(e, List.of());
        assertEquals("libcudnn.so.9 (cuDNN 9) not found: the cudnn backend (JCudnn natives 12.6.0) needs cuDNN 9 on the"
                + " library path (LD_LIBRARY_PATH); this host has no libcudnn.so* in LD_LIBRARY_PATH, the system library"
                + " folders, /usr/local/cuda* or NVIDIA's pip wheels", none);
        Path wheel = Path.of("/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cudnn/lib");
        String offPath = Cudnn.explainLoadFailure(e, List.of(wheel.resolve("libcudnn.so.9"), wheel.resolve("libcudnn_cnn.so.9")));
        assertTrue(offPath.endsWith("; this host has libcudnn.so.9 in " + wheel + ": add that folder to LD_LIBRARY_PATH"),
                offPath);
        String old = Cudnn.explainLoadFailure(e, List.of(Path.of("/usr/lib/x86_64-linux-gnu/libcudnn.so.8")));
        assertTrue(old.endsWith("; this host has libcudnn.so.8 in /usr/lib/x86_64-linux-gnu, which these natives cannot use"), old);
    }

    @Test
    void versionsAreCudnn9Encoded() {
        assertEquals("9.5.0", Cudnn.versionString(90500));
        assertEquals("9.10.2", Cudnn.versionString(91002));
    }

    /** A libcudnn.so.9 without the functions jconv calls makes cuDNN unavailable, naming them (here: libc stands in). */
    @Test
    void aCudnnLibraryLackingFunctionsIsUnavailableNamingThem() {
        Path libc = ElfSymbols.mapped("libc.so").orElseThrow();
        String why = Cudnn.missingFunctions(libc);
        assertTrue(why.startsWith(libc + " lacks [cudnnActivationForward, cudnnAddTensor, ") && why.contains("symbol lookup error"), why);
    }
}
