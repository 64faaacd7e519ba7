package dev.jconv.cpu;

import dev.jconv.ConvGeometry;

/** Checks shared by the {@code cpu} plans. */
final class CpuPlans {
    private CpuPlans() {}

    /** The arrays must have the geometry's sizes; a short array would otherwise fail deep in a kernel. */
    static void checkLengths(ConvGeometry g, float[] input, float[] weight, float[] bias, float[] output) {
        check("input", input.length, (long) g.batch() * g.inChannels() * g.inHeight() * g.inWidth());
        check("weight", weight.length,
                (long) g.outChannels() * g.inChannelsPerGroup() * g.kernelH() * g.kernelW());
        if (bias != null) {
            check("bias", bias.length, g.outChannels());
        }
        check("output", output.length, (long) g.batch() * g.outChannels() * g.outHeight() * g.outWidth());
    }

    private static void check(String what, int actual, long expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + " array has " + actual + " elements, expected " + expected
                    + " for this geometry");
        }
    }

    static void checkOpen(boolean closed) {
        if (closed) {
            throw new IllegalStateException("this cpu plan has been closed");
        }
    }
}
