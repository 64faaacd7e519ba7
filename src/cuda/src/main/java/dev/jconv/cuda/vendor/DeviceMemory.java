package dev.jconv.cuda.vendor;

import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaException;
import java.util.Locale;
import jcuda.driver.CUresult;

/**
 * Running out of device memory, said with the sizes involved. A vendor plan that cannot get the memory
 * it needs frees whatever it had already taken for that call and throws this kind of error; the
 * backend, its other plans and the device stay usable.
 */
public final class DeviceMemory {
    private DeviceMemory() {}

    /** Whether {@code t} (or a cause) is the driver's {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public static boolean isOutOfMemory(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CudaException e && e.result() == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
                return true;
            }
        }
        return false;
    }

    /**
     * The error to throw when {@code what} needed {@code bytes} and the device had too little:
     * {@code "<what> failed: CUDA_ERROR_OUT_OF_MEMORY (...); needs 2.0 GiB (breakdown); 1.2 GiB free of 80.0 GiB on device 0"}.
     * {@code device} may be null (the free memory is then not shown).
     */
    public static CudaException outOfMemory(String what, long bytes, String breakdown, CudaDevice device) {
        String free = "";
        if (device != null) {
            try {
                CudaDevice.MemoryInfo m = device.memoryInfo();
                free = "; " + bytes(m.free()) + " free of " + bytes(m.total()) + " on device " + device.ordinal();
            } catch (RuntimeException e) {
                // the report must not fail while reporting
            }
        }
        return new CudaException(what, CUresult.CUDA_ERROR_OUT_OF_MEMORY, "needs " + bytes(bytes)
                + (breakdown == null || breakdown.isEmpty() ? "" : " (" + breakdown + ")") + free
                + "; nothing was kept for this call, the backend stays usable");
    }

    /** {@code 4096 -> "4.0 KiB"}, {@code 12 -> "12 bytes"}. */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
