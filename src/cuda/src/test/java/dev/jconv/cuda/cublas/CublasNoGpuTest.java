package dev.jconv.cuda.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.backend.Availability;
import dev.jconv.backend.BackendUnavailableException;
import dev.jconv.backend.Backends;
import dev.jconv.cuda.Cuda;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The cublas backend without CUDA 12's cuBLAS: exact reasons, failure by name, never chosen by auto. */
class CublasNoGpuTest {
    private static final ConvGeometry GEOMETRY = GemmPlanTest.geometry(1, 3, 8, 8, 4, 3, 3, ConvParams.defaults());

    /** JCublas 12.6.0 on a machine without libcublas.so.12 (captured on the build machine). */
    static final String JCUBLAS_WITHOUT_CUBLAS = "Error while loading native library \"JCublas2-12.6.0-linux-x86_64\"\n"
            + "Operating system name: Linux\n---(start of nested stack traces)---\n"
            + "Stack trace from the attempt to load the library as a file:\n"
            + "java.lang.UnsatisfiedLinkError: no JCublas2-12.6.0-linux-x86_64 in java.library.path: /usr/lib\n"
            + "\tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2434)\n"
            + "Stack trace from the attempt to load the library as a resource:\n"
            + "java.lang.UnsatisfiedLinkError: /tmp/libJCublas2-12.6.0-linux-x86_64.so: libcublas.so.12: cannot open shared "
            + "object file: No such file or directory\n"
            + "\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)\n---(end of nested stack traces)---\n";

    private static String requireNoCublas() {
        Availability a = Backends.byName(CublasBackend.NAME).availability();
        Assumptions.assumeFalse(a.available(), "cublas is available here (" + a.reason() + "); this test pins its absence");
        return a.reason();
    }

    @Test
    void onACuda13OnlyHostTheReasonSaysJcublasNeedsCuda12sCublas() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(JCUBLAS_WITHOUT_CUBLAS);
        Path cuda13 = Path.of("/usr/local/cuda-13.0/lib64");
        String reason = Cublas.explainLoadFailure(e, List.of(cuda13.resolve("libcublas.so"), cuda13.resolve("libcublas.so.13"),
                cuda13.resolve("libcublas.so.13.0.2.14")));
        assertEquals("libcublas.so.12 (CUDA 12 cuBLAS) not found: JCublas 12.6.0 needs CUDA 12's cuBLAS; this host has"
                + " libcublas.so.13 in /usr/local/cuda-13.0/lib64 (CUDA 13), which JCublas 12.6.0 cannot load", reason);
        assertEquals("libcublas.so.12 (CUDA 12 cuBLAS) not found: JCublas 12.6.0 needs CUDA 12's cuBLAS; this host has no"
                + " libcublas.so* in LD_LIBRARY_PATH, the system library folders, /usr/local/cuda* or NVIDIA's pip wheels",
                Cublas.explainLoadFailure(e, List.of()));
        Path wheel = Path.of("/opt/v/lib/python3.11/site-packages/nvidia/cublas/lib");
        assertTrue(Cublas.explainLoadFailure(e, List.of(wheel.resolve("libcublas.so.12")))
                .endsWith("this host has libcublas.so.12 in " + wheel + ": add that folder to LD_LIBRARY_PATH"));
    }

    @Test
    void theReasonHereIsOneLineAndNamingTheBackendFailsWithIt() {
        String reason = requireNoCublas();
        assertFalse(reason.contains("\n"), reason);
        if (Cuda.driverSurelyAbsent()) {
            assertEquals(Cuda.availability().reason() + " (cuBLAS not looked for)", reason, "no driver: cuBLAS is not probed");
        } else if (!Cublas.libraryAvailability().available()) {
            assertTrue(reason.startsWith("libcublas.so.12 (CUDA 12 cuBLAS) not found: JCublas 12.6.0 needs CUDA 12's cuBLAS;"
                    + " this host has "), reason);
        }
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Backends.select(CublasBackend.NAME, GEOMETRY));
        assertEquals("backend cublas is unavailable: " + reason, e.getMessage());
    }

    @Test
    void autoNeverConsidersCublas() {
        assertTrue(Backends.autoOrder(GEOMETRY).stream().noneMatch(b -> b.name().equals(CublasBackend.NAME)));
        assertFalse(Backends.select(Backends.AUTO, GEOMETRY).reason().contains("cublas"));
        assertTrue(Backends.names().contains(CublasBackend.NAME), "still selectable by name");
    }
}
