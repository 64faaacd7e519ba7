package dev.jconv.cuda;

import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvBackend;

/** Run in a fresh JVM by {@link NoGpuBehaviourTest}: what a user's first contact with jconv does. */
public final class AvailabilityProbeMain {
    private AvailabilityProbeMain() {}

    public static void main(String[] args) {
        for (ConvBackend b : Backends.all()) {
            System.out.println(b.name() + ": " + b.availability());
        }
    }
}
