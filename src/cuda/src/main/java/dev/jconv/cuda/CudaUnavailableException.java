package dev.jconv.cuda;

import dev.jconv.backend.Availability;

/** CUDA cannot be used on this machine (no driver, no device, driver too old); the message says why. */
public class CudaUnavailableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public CudaUnavailableException(String reason) {
        super(reason);
    }

    /** Throws unless {@code availability} says backend {@code name} can run; every GPU backend checks before planning. */
    public static void requireAvailable(String name, Availability availability) {
        if (!availability.available()) {
            throw new CudaUnavailableException("backend " + name + " is unavailable: " + availability.reason());
        }
    }
}
