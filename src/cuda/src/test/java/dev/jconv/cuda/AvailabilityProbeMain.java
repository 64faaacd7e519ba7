package dev.jconv.cuda;

import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvBackend;

/**
 * Run in a fresh JVM by {@link NoGpuBehaviourTest} and {@code CudnnPreflightTest}: what a user's first contact with
 * jconv does, and what the cuDNN library probe finds.
 */
public final class AvailabilityProbeMain {
    private AvailabilityProbeMain() {}

    public static void main(String[] args) {
        for (ConvBackend b : Backends.all()) {
            System.out.println(b.name() + ": " + b.availability());
        }
        // the libraries themselves, which the backends do not look for without a driver
        System.out.println("cudnn library: " + dev.jconv.cuda.cudnn.Cudnn.libraryAvailability());
    }
}
