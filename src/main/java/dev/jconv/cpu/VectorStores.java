package dev.jconv.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Where each vector of flat output positions goes in an NCHW output plane, precomputed per plan from
 * {@link FlatLayout#segmentsFor}. Most vectors lie inside one output row and are one plain store; a vector
 * that crosses a row end (or the end of the flat range) is spilled to a small scratch array and its lanes
 * copied to their runs.
 *
 * <p>Why not masked stores: on JDK 17 {@code intoArray(a, i, mask)} with a partial mask runs lane by lane
 * (measured 12 ns against 1 ns for a plain store) and even a full mask costs a mask load per store; with
 * them the stores took 60% of a depthwise layer.
 */
final class VectorStores {
    /** Plane index of lane 0 for a vector that is one plain store, else -1. */
    private final int[] whole;
    /** For the other vectors: their runs in {@code runs[first[q] .. first[q + 1])}. */
    private final int[] first;
    private final int[] runDest;
    private final int[] runLane;
    private final int[] runLength;

    VectorStores(FlatLayout layout) {
        int lanes = GemmKernel.LANES;
        int vectors = FlatLayout.ceilDiv(layout.flatLength, lanes);
        whole = new int[vectors];
        first = new int[vectors + 1];
        int[] dest = new int[lanes];
        long[] bits = new long[lanes];
        int[][] runs = new int[vectors][];
        int total = 0;
        for (int q = 0; q < vectors; q++) {
            int count = layout.segmentsFor(q * lanes, lanes, dest, bits);
            long all = lanes == 64 ? -1L : (1L << lanes) - 1;
            if (count == 1 && bits[0] == all) {
                whole[q] = dest[0];
                runs[q] = new int[0];
                continue;
            }
            whole[q] = -1;
            runs[q] = new int[3 * count];
            for (int k = 0; k < count; k++) {
                int lane = Long.numberOfTrailingZeros(bits[k]);
                runs[q][3 * k] = dest[k] + lane;
                runs[q][3 * k + 1] = lane;
                runs[q][3 * k + 2] = Long.bitCount(bits[k]);
            }
            total += count;
        }
        runDest = new int[total];
        runLane = new int[total];
        runLength = new int[total];
        int i = 0;
        for (int q = 0; q < vectors; q++) {
            first[q] = i;
            for (int k = 0; k < runs[q].length; k += 3, i++) {
                runDest[i] = runs[q][k];
                runLane[i] = runs[q][k + 1];
                runLength[i] = runs[q][k + 2];
            }
        }
        first[vectors] = i;
    }

    /** Whether some vector is one plain store ({@link KernelPath#WHOLE_STORE}). */
    boolean anyWhole() {
        for (int d : whole) {
            if (d >= 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether some vector is spilled ({@link KernelPath#SPILLED_STORE}). */
    boolean anySpilled() {
        return runDest.length > 0;
    }

    /** A scratch array for {@link #store}; one per task, never shared between threads. */
    static float[] newSpill() {
        return new float[GemmKernel.LANES];
    }

    /** Stores vector {@code q} of flat positions, {@code v}, into the plane starting at {@code plane}. */
    void store(FloatVector v, float[] out, int plane, int q, float[] spill) {
        int d = whole[q];
        if (d >= 0) {
            v.intoArray(out, plane + d);
            return;
        }
        v.intoArray(spill, 0);
        for (int i = first[q], end = first[q + 1]; i < end; i++) {
            int dst = plane + runDest[i];
            int lane = runLane[i];
            for (int k = 0, n = runLength[i]; k < n; k++) {
                out[dst + k] = spill[lane + k];
            }
        }
    }
}
