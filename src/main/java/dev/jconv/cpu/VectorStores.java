package dev.jconv.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Where each vector of flat output positions goes in an NCHW output plane, precomputed per plan from
 * {@link FlatLayout#segmentsFor}: usually one full contiguous store, and at a row edge two masked stores
 * (the lanes of this row, and those of the next one) that skip the discarded columns.
 */
final class VectorStores {
    private final int[] first;
    private final int[] dest;
    private final VectorMask<Float>[] masks;

    @SuppressWarnings("unchecked")
    VectorStores(FlatLayout layout) {
        int lanes = GemmKernel.LANES;
        int vectors = FlatLayout.ceilDiv(layout.flatLength, lanes);
        first = new int[vectors + 1];
        int[] d = new int[lanes];
        long[] bits = new long[lanes];
        int total = 0;
        for (int q = 0; q < vectors; q++) {
            total += layout.segmentsFor(q * lanes, lanes, d, bits);
        }
        dest = new int[total];
        masks = new VectorMask[total];
        long full = lanes == 64 ? -1L : (1L << lanes) - 1;
        int i = 0;
        for (int q = 0; q < vectors; q++) {
            first[q] = i;
            int count = layout.segmentsFor(q * lanes, lanes, d, bits);
            for (int k = 0; k < count; k++, i++) {
                dest[i] = d[k];
                masks[i] = bits[k] == full ? null : VectorMask.fromLong(GemmKernel.F, bits[k]);
            }
        }
        first[vectors] = i;
    }

    /** Stores vector {@code q} of flat positions, {@code v}, into the plane starting at {@code plane}. */
    void store(FloatVector v, float[] out, int plane, int q) {
        for (int i = first[q], end = first[q + 1]; i < end; i++) {
            VectorMask<Float> m = masks[i];
            if (m == null) {
                v.intoArray(out, plane + dest[i]);
            } else {
                v.intoArray(out, plane + dest[i], m);
            }
        }
    }
}
