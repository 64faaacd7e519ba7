package dev.jconv.cuda;

import dev.jconv.backend.Availability;
import dev.jconv.cuda.vendor.NativeLibraries;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * The CUDA driver as a whole: loading it once per process, whether it can be used and if not
 * exactly why, its version, and turning driver status codes into {@link CudaException}s.
 *
 * <p>Loading never throws and never prints. On a machine without an NVIDIA driver, JCuda's native
 * library fails to load because {@code libcuda.so.1} is missing; JCuda reports that as an
 * {@link UnsatisfiedLinkError} whose message holds two nested stack traces, and every later use of
 * {@code JCudaDriver} would only say "Could not initialize class". So the first outcome is kept,
 * reduced to its cause, and returned by {@link #availability()} from then on.
 */
public final class Cuda {
    private static final Pattern MISSING_LIBRARY =
            Pattern.compile("(lib[\\w.+-]+\\.so[.\\d]*): cannot open shared object file[^\\r\\n]*");

    private Cuda() {}

    /**
     * Why CUDA is unusable (null when usable), the driver's CUDA version, the device count, and whether
     * the driver is jconv's emulated one (a CPU stand-in, see {@link CudaDevice#EMULATED_NAME_PREFIX}).
     */
    /** {@code absent}: the loader surely cannot find the driver library, so it was not tried. */
    private record DriverState(String failure, int driverVersion, int deviceCount, boolean emulated, boolean absent) {}

    static final String DRIVER_LIBRARY = "libcuda.so.1";

    /** Initialised on first use: the class loads, and the driver is tried, only when someone asks. */
    private static final class Driver {
        static final DriverState STATE = load();
    }

    /** Whether the driver loads and has at least one device; the reason when not. Never throws. */
    public static Availability availability() {
        DriverState s = Driver.STATE;
        if (s.failure != null) {
            return Availability.no(s.failure);
        }
        return Availability.yes((s.emulated ? "EMULATED CUDA driver (jconv's CPU stand-in for libcuda.so.1, not a GPU)"
                : "NVIDIA driver") + " for CUDA " + versionString(s.driverVersion) + ", "
                + s.deviceCount + (s.deviceCount == 1 ? " device" : " devices"));
    }

    /** Whether the loader surely cannot find the driver library ({@link NativeLibraries#surelyAbsent}). */
    public static boolean driverSurelyAbsent() {
        return Driver.STATE.absent;
    }

    /**
     * For a vendor backend's probe: where the driver surely is absent, the driver's reason marked "({@code library}
     * not looked for)", else null. Without a driver the library could not run whatever is installed, and searching
     * the library folders for it cost a one-shot {@code jconv run} on a GPU-less host tens of milliseconds.
     */
    public static Availability withoutDriver(String library) {
        return driverSurelyAbsent() ? Availability.no(availability().reason() + " (" + library + " not looked for)")
                : null;
    }

    /** Whether the loaded driver is jconv's emulated one: nothing it runs is a GPU result. */
    public static boolean isEmulated() {
        return Driver.STATE.emulated;
    }

    public static boolean isAvailable() {
        return Driver.STATE.failure == null;
    }

    /** Throws {@link CudaUnavailableException} with the reason unless CUDA is usable. */
    public static void requireAvailable() {
        String failure = Driver.STATE.failure;
        if (failure != null) {
            throw new CudaUnavailableException("CUDA is unavailable: " + failure);
        }
    }

    /** The CUDA version the driver supports, encoded as the driver does: 13000 for 13.0. */
    public static int driverVersion() {
        requireAvailable();
        return Driver.STATE.driverVersion;
    }

    public static int deviceCount() {
        requireAvailable();
        return Driver.STATE.deviceCount;
    }

    /** {@code 13000 -> "13.0"}, {@code 12040 -> "12.4"}. */
    public static String versionString(int cudaVersion) {
        return cudaVersion / 1000 + "." + (cudaVersion % 1000) / 10;
    }

    /** Throws a {@link CudaException} naming {@code call} unless {@code result} is {@code CUDA_SUCCESS}. */
    public static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaException(call, result);
        }
    }

    /** The driver's name for a status, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public static String errorName(int result) {
        if (isLoaded()) {
            String[] name = new String[1];
            if (JCudaDriver.cuGetErrorName(result, name) == CUresult.CUDA_SUCCESS && name[0] != null) {
                return name[0];
            }
        }
        return CUresult.stringFor(result);
    }

    /** The driver's description of a status, e.g. {@code out of memory}. */
    public static String errorDescription(int result) {
        if (isLoaded()) {
            String[] text = new String[1];
            if (JCudaDriver.cuGetErrorString(result, text) == CUresult.CUDA_SUCCESS && text[0] != null) {
                return text[0];
            }
        }
        return "status " + result;
    }

    private static boolean isLoaded() {
        return Driver.STATE.failure == null;
    }

    private static DriverState load() {
        if (NativeLibraries.surelyAbsent(DRIVER_LIBRARY)) {
            // the loader's own words, without loading JCuda's natives to hear them
            return new DriverState(explainLoadFailure(NativeLibraries.notFound(DRIVER_LIBRARY)), 0, 0, false, true);
        }
        try {
            int result = JCudaDriver.cuInit(0);
            if (result == CUresult.CUDA_ERROR_NO_DEVICE) {
                String visible = System.getenv("CUDA_VISIBLE_DEVICES");
                return failed("the NVIDIA driver reports no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE"
                        + (visible == null ? "" : "; CUDA_VISIBLE_DEVICES='" + visible + "'") + ")");
            }
            if (result != CUresult.CUDA_SUCCESS) {
                return failed("the NVIDIA driver failed to initialise: cuInit returned " + CUresult.stringFor(result));
            }
            int[] version = new int[1];
            result = JCudaDriver.cuDriverGetVersion(version);
            if (result != CUresult.CUDA_SUCCESS) {
                return failed("cuDriverGetVersion returned " + CUresult.stringFor(result));
            }
            int[] count = new int[1];
            result = JCudaDriver.cuDeviceGetCount(count);
            if (result != CUresult.CUDA_SUCCESS) {
                return failed("cuDeviceGetCount returned " + CUresult.stringFor(result));
            }
            if (count[0] == 0) {
                return failed("the NVIDIA driver (CUDA " + versionString(version[0]) + ") reports no CUDA device");
            }
            return new DriverState(null, version[0], count[0], emulatedDriver(), false);
        } catch (LinkageError e) {
            // UnsatisfiedLinkError (library missing), NoClassDefFoundError, ExceptionInInitializerError
            return failed(explainLoadFailure(e));
        } catch (RuntimeException e) {
            // jcuda.CudaException, when some other code switched JCuda's exceptions on
            return failed("the NVIDIA driver failed to initialise: " + firstLine(e.getMessage()));
        }
    }

    private static DriverState failed(String reason) {
        return new DriverState(reason, 0, 0, false, false);
    }

    private static boolean emulatedDriver() {
        CUdevice first = new CUdevice();
        byte[] name = new byte[256];
        if (JCudaDriver.cuDeviceGet(first, 0) != CUresult.CUDA_SUCCESS
                || JCudaDriver.cuDeviceGetName(name, name.length, first) != CUresult.CUDA_SUCCESS) {
            return false;
        }
        return new String(name, StandardCharsets.UTF_8).startsWith(CudaDevice.EMULATED_NAME_PREFIX);
    }

    /**
     * One line out of JCuda's load failure: the missing shared library when that is the cause
     * (the usual case: no NVIDIA driver), else the first line of the message.
     */
    static String explainLoadFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String message = c.getMessage();
            if (message != null) {
                Matcher m = MISSING_LIBRARY.matcher(message);
                if (m.find()) {
                    String library = m.group(1);
                    return (library.startsWith("libcuda.so") ? "no NVIDIA driver: " : "a library JCuda needs is missing: ")
                            + m.group().trim();
                }
            }
        }
        return "JCuda's native library could not be loaded (" + t.getClass().getSimpleName() + ": "
                + firstLine(t.getMessage()) + "; os.arch=" + System.getProperty("os.arch") + ")";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
