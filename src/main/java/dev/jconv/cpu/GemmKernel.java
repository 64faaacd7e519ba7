package dev.jconv.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked GEMM micro-kernels of the {@code cpu} backend, on the {@link FlatLayout}:
 * {@code out[m][f] = bias[m] + sum over taps t of w[m][t] * src[srcBase + taps[t] + f]} for 8 output
 * channels {@code m} and a run of flat positions {@code f}.
 *
 * <p>Why the Vector API and this shape: C2 does not auto-vectorize the offset-indexed update
 * {@code out[i + a] += w * in[i + b]} on JDK 17 (measured 4-6 GFLOP/s, scalar code), and even a perfectly
 * vectorized axpy is bound by its loads and stores (58 GFLOP/s); an 8x3-vector tile held in registers
 * measured 150 GFLOP/s on one AVX-512 core (6x4: 150, 8x2: 135, 4x3: 125). Weights are read in place
 * (KCRS rows are already contiguous per output channel, so there is nothing to pack) and the input through
 * the layout's tap offsets, so neither is copied per call.
 *
 * <p>The loops are unrolled by hand because C2 keeps vector accumulators in registers only as locals.
 * Rows past {@code rowsValid} repeat the last valid row and are not stored.
 */
final class GemmKernel {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int LANES = F.length();
    /** Output channels per tile. */
    static final int ROWS = 8;
    /** Flat positions per full tile. */
    static final int WIDTH = 3 * LANES;

    private GemmKernel() {}

    private static FloatVector start(float[] bias, int bias0, int m, int rowsValid) {
        return bias == null ? FloatVector.zero(F) : FloatVector.broadcast(F, bias[bias0 + Math.min(m, rowsValid - 1)]);
    }

    /**
     * One 8-row x 3-vector output tile over every tap: 24 accumulators stay in registers, each tap loads
     * three input vectors and broadcasts eight weights (11 loads per 24 FMAs).
     */
    static void tile8x3(float[] src, int srcBase, int[] taps, float[] w, int row0, int rowStride, int rowsValid,
                        float[] bias, int bias0, float[] out, int plane0, int planeStride, int j0, VectorStores stores,
                        float[] spill) {
        int w0 = row0 + Math.min(0, rowsValid - 1) * rowStride;
        int w1 = row0 + Math.min(1, rowsValid - 1) * rowStride;
        int w2 = row0 + Math.min(2, rowsValid - 1) * rowStride;
        int w3 = row0 + Math.min(3, rowsValid - 1) * rowStride;
        int w4 = row0 + Math.min(4, rowsValid - 1) * rowStride;
        int w5 = row0 + Math.min(5, rowsValid - 1) * rowStride;
        int w6 = row0 + Math.min(6, rowsValid - 1) * rowStride;
        int w7 = row0 + Math.min(7, rowsValid - 1) * rowStride;
        FloatVector a00 = start(bias, bias0, 0, rowsValid);
        FloatVector a01 = a00;
        FloatVector a02 = a00;
        FloatVector a10 = start(bias, bias0, 1, rowsValid);
        FloatVector a11 = a10;
        FloatVector a12 = a10;
        FloatVector a20 = start(bias, bias0, 2, rowsValid);
        FloatVector a21 = a20;
        FloatVector a22 = a20;
        FloatVector a30 = start(bias, bias0, 3, rowsValid);
        FloatVector a31 = a30;
        FloatVector a32 = a30;
        FloatVector a40 = start(bias, bias0, 4, rowsValid);
        FloatVector a41 = a40;
        FloatVector a42 = a40;
        FloatVector a50 = start(bias, bias0, 5, rowsValid);
        FloatVector a51 = a50;
        FloatVector a52 = a50;
        FloatVector a60 = start(bias, bias0, 6, rowsValid);
        FloatVector a61 = a60;
        FloatVector a62 = a60;
        FloatVector a70 = start(bias, bias0, 7, rowsValid);
        FloatVector a71 = a70;
        FloatVector a72 = a70;
        int base = srcBase + j0;
        for (int t = 0; t < taps.length; t++) {
            int o = base + taps[t];
            FloatVector b0 = FloatVector.fromArray(F, src, o);
            FloatVector b1 = FloatVector.fromArray(F, src, o + LANES);
            FloatVector b2 = FloatVector.fromArray(F, src, o + 2 * LANES);
            FloatVector x;
            x = FloatVector.broadcast(F, w[w0 + t]);
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            a02 = x.fma(b2, a02);
            x = FloatVector.broadcast(F, w[w1 + t]);
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            a12 = x.fma(b2, a12);
            x = FloatVector.broadcast(F, w[w2 + t]);
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            a22 = x.fma(b2, a22);
            x = FloatVector.broadcast(F, w[w3 + t]);
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            a32 = x.fma(b2, a32);
            x = FloatVector.broadcast(F, w[w4 + t]);
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            a42 = x.fma(b2, a42);
            x = FloatVector.broadcast(F, w[w5 + t]);
            a50 = x.fma(b0, a50);
            a51 = x.fma(b1, a51);
            a52 = x.fma(b2, a52);
            x = FloatVector.broadcast(F, w[w6 + t]);
            a60 = x.fma(b0, a60);
            a61 = x.fma(b1, a61);
            a62 = x.fma(b2, a62);
            x = FloatVector.broadcast(F, w[w7 + t]);
            a70 = x.fma(b0, a70);
            a71 = x.fma(b1, a71);
            a72 = x.fma(b2, a72);
        }
        int q = j0 / LANES;
        int p0 = plane0 + 0 * planeStride;
        stores.store(a00, out, p0, q + 0, spill);
        stores.store(a01, out, p0, q + 1, spill);
        stores.store(a02, out, p0, q + 2, spill);
        if (rowsValid > 1) {
            int p1 = plane0 + 1 * planeStride;
            stores.store(a10, out, p1, q + 0, spill);
            stores.store(a11, out, p1, q + 1, spill);
            stores.store(a12, out, p1, q + 2, spill);
        }
        if (rowsValid > 2) {
            int p2 = plane0 + 2 * planeStride;
            stores.store(a20, out, p2, q + 0, spill);
            stores.store(a21, out, p2, q + 1, spill);
            stores.store(a22, out, p2, q + 2, spill);
        }
        if (rowsValid > 3) {
            int p3 = plane0 + 3 * planeStride;
            stores.store(a30, out, p3, q + 0, spill);
            stores.store(a31, out, p3, q + 1, spill);
            stores.store(a32, out, p3, q + 2, spill);
        }
        if (rowsValid > 4) {
            int p4 = plane0 + 4 * planeStride;
            stores.store(a40, out, p4, q + 0, spill);
            stores.store(a41, out, p4, q + 1, spill);
            stores.store(a42, out, p4, q + 2, spill);
        }
        if (rowsValid > 5) {
            int p5 = plane0 + 5 * planeStride;
            stores.store(a50, out, p5, q + 0, spill);
            stores.store(a51, out, p5, q + 1, spill);
            stores.store(a52, out, p5, q + 2, spill);
        }
        if (rowsValid > 6) {
            int p6 = plane0 + 6 * planeStride;
            stores.store(a60, out, p6, q + 0, spill);
            stores.store(a61, out, p6, q + 1, spill);
            stores.store(a62, out, p6, q + 2, spill);
        }
        if (rowsValid > 7) {
            int p7 = plane0 + 7 * planeStride;
            stores.store(a70, out, p7, q + 0, spill);
            stores.store(a71, out, p7, q + 1, spill);
            stores.store(a72, out, p7, q + 2, spill);
        }
    }

    /**
     * The same tile one vector wide, reading only the first {@code lanes} lanes: the ragged end of the flat
     * range, which must not read past the input when the layout is the caller's own array.
     */
    static void tile8x1(float[] src, int srcBase, int[] taps, float[] w, int row0, int rowStride, int rowsValid,
                        float[] bias, int bias0, float[] out, int plane0, int planeStride, int j0, int lanes,
                        VectorStores stores, float[] spill) {
        int w0 = row0 + Math.min(0, rowsValid - 1) * rowStride;
        int w1 = row0 + Math.min(1, rowsValid - 1) * rowStride;
        int w2 = row0 + Math.min(2, rowsValid - 1) * rowStride;
        int w3 = row0 + Math.min(3, rowsValid - 1) * rowStride;
        int w4 = row0 + Math.min(4, rowsValid - 1) * rowStride;
        int w5 = row0 + Math.min(5, rowsValid - 1) * rowStride;
        int w6 = row0 + Math.min(6, rowsValid - 1) * rowStride;
        int w7 = row0 + Math.min(7, rowsValid - 1) * rowStride;
        FloatVector a0 = start(bias, bias0, 0, rowsValid);
        FloatVector a1 = start(bias, bias0, 1, rowsValid);
        FloatVector a2 = start(bias, bias0, 2, rowsValid);
        FloatVector a3 = start(bias, bias0, 3, rowsValid);
        FloatVector a4 = start(bias, bias0, 4, rowsValid);
        FloatVector a5 = start(bias, bias0, 5, rowsValid);
        FloatVector a6 = start(bias, bias0, 6, rowsValid);
        FloatVector a7 = start(bias, bias0, 7, rowsValid);
        VectorMask<Float> valid = F.indexInRange(0, lanes);
        int base = srcBase + j0;
        for (int t = 0; t < taps.length; t++) {
            FloatVector b = FloatVector.fromArray(F, src, base + taps[t], valid);
            a0 = FloatVector.broadcast(F, w[w0 + t]).fma(b, a0);
            a1 = FloatVector.broadcast(F, w[w1 + t]).fma(b, a1);
            a2 = FloatVector.broadcast(F, w[w2 + t]).fma(b, a2);
            a3 = FloatVector.broadcast(F, w[w3 + t]).fma(b, a3);
            a4 = FloatVector.broadcast(F, w[w4 + t]).fma(b, a4);
            a5 = FloatVector.broadcast(F, w[w5 + t]).fma(b, a5);
            a6 = FloatVector.broadcast(F, w[w6 + t]).fma(b, a6);
            a7 = FloatVector.broadcast(F, w[w7 + t]).fma(b, a7);
        }
        int q = j0 / LANES;
        stores.store(a0, out, plane0 + 0 * planeStride, q, spill);
        if (rowsValid > 1) {
            stores.store(a1, out, plane0 + 1 * planeStride, q, spill);
        }
        if (rowsValid > 2) {
            stores.store(a2, out, plane0 + 2 * planeStride, q, spill);
        }
        if (rowsValid > 3) {
            stores.store(a3, out, plane0 + 3 * planeStride, q, spill);
        }
        if (rowsValid > 4) {
            stores.store(a4, out, plane0 + 4 * planeStride, q, spill);
        }
        if (rowsValid > 5) {
            stores.store(a5, out, plane0 + 5 * planeStride, q, spill);
        }
        if (rowsValid > 6) {
            stores.store(a6, out, plane0 + 6 * planeStride, q, spill);
        }
        if (rowsValid > 7) {
            stores.store(a7, out, plane0 + 7 * planeStride, q, spill);
        }
    }
}
