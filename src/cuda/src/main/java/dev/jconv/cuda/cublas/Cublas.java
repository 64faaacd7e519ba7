package dev.jconv.cuda.cublas;

import dev.jconv.backend.Availability;
import dev.jconv.cuda.vendor.NativeLibraries;
import java.nio.file.Path;
import java.util.List;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasStatus;

/**
 * The cuBLAS library through JCublas 12.6.0: loading it once per process, whether that worked and if not
 * exactly why, and turning statuses into {@link CublasException}s. JCublas 12.6.0's natives link
 * {@code libcublas.so.12} with symbols versioned {@code libcublas.so.12}: they need CUDA 12's cuBLAS and
 * cannot use CUDA 13's {@code libcublas.so.13}, so on a CUDA-13-only host this backend is unavailable
 * and says so. Loading never throws and never prints (JCuda's failure message, with its nested stack
 * traces, is reduced to one line).
 */
public final class Cublas {
    public static final String LIBRARY = "libcublas.so.12";
    public static final int SUCCESS = cublasStatus.CUBLAS_STATUS_SUCCESS;

    private Cublas() {}

    private static final class Library {
        static final String FAILURE = load();
    }

    /** Whether JCublas and CUDA 12's cuBLAS load here (no GPU needed for this part); the reason when not. */
    public static Availability libraryAvailability() {
        String failure = Library.FAILURE;
        return failure == null ? Availability.yes("cuBLAS (" + LIBRARY + ")") : Availability.no(failure);
    }

    public static void check(int status, String call) {
        if (status != SUCCESS) {
            throw new CublasException(call, status);
        }
    }

    private static String load() {
        if (NativeLibraries.surelyAbsent(LIBRARY)) { // the message a failed load gives, without loading JCublas
            return explainLoadFailure(NativeLibraries.notFound(LIBRARY), NativeLibraries.find("libcublas.so"));
        }
        try {
            JCublas2.initialize();
            return null;
        } catch (LinkageError e) {
            return explainLoadFailure(e, NativeLibraries.find("libcublas.so"));
        } catch (RuntimeException e) {
            return "JCublas failed to initialise: " + e.getMessage();
        }
    }

    /** One line for a failed JCublas load; {@code found}: the {@code libcublas.so*} files found in the usual places. */
    static String explainLoadFailure(Throwable t, List<Path> found) {
        String missing = NativeLibraries.missingLibrary(t);
        if (missing == null) {
            return "JCublas's native library could not be loaded: " + NativeLibraries.loaderReason(t);
        }
        if (!missing.startsWith("libcublas")) {
            return "JCublas's native library needs " + missing + ", which was not found: " + NativeLibraries.loaderReason(t);
        }
        String needs = missing + " (CUDA 12 cuBLAS) not found: JCublas 12.6.0 needs CUDA 12's cuBLAS";
        List<Path> right = found.stream().filter(p -> p.getFileName().toString().startsWith(missing)).toList();
        if (!right.isEmpty()) {
            return needs + "; this host has " + NativeLibraries.describe(right) + ": add that folder to LD_LIBRARY_PATH";
        }
        String others = NativeLibraries.describe(found);
        if (others == null) {
            return needs + "; this host has no libcublas.so* in LD_LIBRARY_PATH, the system library folders,"
                    + " /usr/local/cuda* or NVIDIA's pip wheels";
        }
        return needs + "; this host has " + others + (others.contains("libcublas.so.13") ? " (CUDA 13)" : "")
                + ", which JCublas 12.6.0 cannot load";
    }
}
