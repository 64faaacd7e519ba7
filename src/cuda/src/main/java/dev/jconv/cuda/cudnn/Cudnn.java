package dev.jconv.cuda.cudnn;

import dev.jconv.backend.Availability;
import dev.jconv.cuda.vendor.ElfSymbols;
import dev.jconv.cuda.vendor.NativeLibraries;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnStatus;

/**
 * The cuDNN library as a whole: loading it once per process through JCudnn, whether that worked and if
 * not exactly why, its version, and turning statuses into {@link CudnnException}s.
 *
 * <p>Bindings: the newest JCudnn Java API on Maven Central is 11.7.0; it loads the native library named
 * {@code "JCudnn-" + JCudaVersion.get()}, which with JCuda 12.6.0 is the one in jcudnn-natives 12.6.0,
 * built against cuDNN 9.5 and linked to {@code libcudnn.so.9}. So jconv needs cuDNN 9 (any 9.x) on the
 * library path. Only the legacy convolution entry points are called, which both sides have. Status
 * values are cuDNN 9's (they differ from cuDNN 8's), so names come from {@code cudnnGetErrorString},
 * never from the 11.7.0 Java constants.
 *
 * <p>Loading never throws and never prints: JCuda reports a missing {@code libcudnn.so.9} as an
 * {@link UnsatisfiedLinkError} with nested stack traces in its message, which is reduced to one line here.
 * The JNI library binds each cuDNN function at its first call, and one the host's {@code libcudnn.so.9}
 * lacks would end the JVM ("symbol lookup error"), so once loaded the library's exports are checked
 * against {@link #FUNCTIONS} and any gap makes cuDNN unavailable, naming the functions.
 */
public final class Cudnn {
    /** The library the bundled natives are linked against. */
    public static final String LIBRARY = "libcudnn.so.9";
    public static final int REQUIRED_MAJOR = 9;
    public static final int SUCCESS = cudnnStatus.CUDNN_STATUS_SUCCESS;
    /** Every cuDNN function jconv calls (through JCudnn; a test keeps this list equal to the calls in the sources). */
    public static final List<String> FUNCTIONS = List.of("cudnnActivationForward", "cudnnAddTensor",
            "cudnnConvolutionBiasActivationForward",
            "cudnnConvolutionForward", "cudnnCreate", "cudnnCreateActivationDescriptor", "cudnnCreateConvolutionDescriptor",
            "cudnnCreateFilterDescriptor", "cudnnCreateTensorDescriptor", "cudnnDestroyActivationDescriptor",
            "cudnnDestroyConvolutionDescriptor", "cudnnDestroyFilterDescriptor", "cudnnDestroyTensorDescriptor",
            "cudnnFindConvolutionForwardAlgorithmEx", "cudnnGetConvolution2dForwardOutputDim",
            "cudnnGetConvolutionForwardAlgorithmMaxCount", "cudnnGetConvolutionForwardAlgorithm_v7",
            "cudnnGetConvolutionForwardWorkspaceSize", "cudnnGetErrorString", "cudnnGetVersion",
            "cudnnSetActivationDescriptor", "cudnnSetConvolution2dDescriptor", "cudnnSetConvolutionGroupCount",
            "cudnnSetConvolutionMathType", "cudnnSetFilter4dDescriptor", "cudnnSetStream", "cudnnSetTensor4dDescriptor");

    private Cudnn() {}

    /** Why cuDNN cannot be used (null when it can) and its version ({@code cudnnGetVersion}, 90500 for 9.5.0). */
    private record LibraryState(String failure, long version) {}

    private static final class Library {
        static final LibraryState STATE = load();
    }

    /** Whether the cuDNN library loads and is cuDNN 9; the reason when not. Needs no GPU. Never throws. */
    public static Availability libraryAvailability() {
        LibraryState s = Library.STATE;
        return s.failure == null ? Availability.yes("cuDNN " + versionString(s.version)) : Availability.no(s.failure);
    }

    public static boolean isLoaded() {
        return Library.STATE.failure == null;
    }

    /** {@code cudnnGetVersion()}, e.g. 90500; throws if the library is not loaded. */
    public static long version() {
        LibraryState s = Library.STATE;
        if (s.failure != null) {
            throw new IllegalStateException("cuDNN is unavailable: " + s.failure);
        }
        return s.version;
    }

    /** cuDNN 9's encoding: {@code 90500 -> "9.5.0"}. */
    public static String versionString(long version) {
        return version / 10000 + "." + (version % 10000) / 100 + "." + version % 100;
    }

    /** Throws a {@link CudnnException} naming {@code call} unless {@code status} is success. */
    public static void check(int status, String call) {
        if (status != SUCCESS) {
            throw new CudnnException(call, status);
        }
    }

    /** cuDNN's own name for a status ({@code cudnnGetErrorString}), or {@code "cuDNN status N"} when the library is not loaded. */
    public static String statusName(int status) {
        if (isLoaded()) {
            try {
                String s = JCudnn.cudnnGetErrorString(status);
                if (s != null && !s.isBlank()) {
                    return s;
                }
            } catch (RuntimeException | LinkageError e) {
                // fall through to the number
            }
        }
        return "cuDNN status " + status;
    }

    private static LibraryState load() {
        if (NativeLibraries.surelyAbsent(LIBRARY)) { // the message a failed load gives, without loading JCudnn
            return new LibraryState(explainLoadFailure(NativeLibraries.notFound(LIBRARY), NativeLibraries.find("libcudnn.so")), 0);
        }
        try {
            JCudnn.initialize();  // loads JCudnn's JNI library, and with it libcudnn.so.9, calling no cuDNN function
        } catch (LinkageError e) {
            return new LibraryState(explainLoadFailure(e, NativeLibraries.find("libcudnn.so")), 0);
        } catch (RuntimeException e) {
            return new LibraryState("JCudnn failed to initialise: " + e.getMessage(), 0);
        }
        String lacking = missingFunctions(ElfSymbols.mapped(LIBRARY).orElse(null));
        if (lacking != null) {
            return new LibraryState(lacking, 0);
        }
        long version;
        try {
            version = JCudnn.cudnnGetVersion();
        } catch (LinkageError | RuntimeException e) {
            return new LibraryState("JCudnn failed to initialise: " + e.getMessage(), 0);
        }
        if (version / 10000 != REQUIRED_MAJOR) {
            return new LibraryState("the cuDNN library loaded reports version " + version + ", not cuDNN " + REQUIRED_MAJOR
                    + ".x, which JCudnn's natives 12.6.0 are built for", version);
        }
        return new LibraryState(null, version);
    }

    /**
     * Why {@code library} cannot serve jconv (it lacks some of {@link #FUNCTIONS}), or null when it exports
     * them all or cannot be inspected (then JNI's own binding is all there is). Checked before the first
     * cuDNN call: JNI binds each function at its first call, and a missing one ends the JVM.
     */
    static String missingFunctions(Path library) {
        if (library == null) {
            return null;
        }
        try {
            List<String> missing = ElfSymbols.missing(library, FUNCTIONS);
            return missing.isEmpty() ? null : library + " lacks " + missing + ", which the cudnn backend calls;"
                    + " calling one would end the JVM (symbol lookup error); cuDNN " + REQUIRED_MAJOR + ".x exports them all";
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * One line for a failed JCudnn load. When {@code libcudnn.so.9} is missing, says what the host has
     * instead ({@code found}: the {@code libcudnn.so*} files found in the usual places).
     */
    static String explainLoadFailure(Throwable t, List<Path> found) {
        String missing = NativeLibraries.missingLibrary(t);
        if (missing == null) {
            return "JCudnn's native library could not be loaded: " + NativeLibraries.loaderReason(t);
        }
        if (!missing.startsWith("libcudnn")) {
            return "JCudnn's native library needs " + missing + ", which was not found: " + NativeLibraries.loaderReason(t);
        }
        String needs = missing + " (cuDNN " + REQUIRED_MAJOR + ") not found: the cudnn backend (JCudnn natives 12.6.0)"
                + " needs cuDNN " + REQUIRED_MAJOR + " on the library path (LD_LIBRARY_PATH)";
        List<Path> right = found.stream().filter(p -> p.getFileName().toString().startsWith(missing)).toList();
        if (!right.isEmpty()) {
            return needs + "; this host has " + NativeLibraries.describe(right) + ": add that folder to LD_LIBRARY_PATH";
        }
        String others = NativeLibraries.describe(found);
        return needs + "; this host has " + (others == null
                ? "no libcudnn.so* in LD_LIBRARY_PATH, the system library folders, /usr/local/cuda* or NVIDIA's pip wheels"
                : others + ", which these natives cannot use");
    }
}
