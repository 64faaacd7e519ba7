package dev.jconv.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Where each vector of flat output positions goes in an NCHW output plane, precomputed per plan from
 * {@link FlatLayout#segmentsFor}. Most vectors lie inside one output row and are one plain store; a vector
 * that crosses a row end (or the end of the flat range) has its lanes copied run by run from the task's scratch
 * tile ({@link Sink}).
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
    /**
     * Flat positions {@code [0, identityEnd)} are whole vectors, each stored at its own flat index: a kernel may
     * write a full tile there straight to the output plane ({@link Sink#direct}).
     */
    private final int identityEnd;

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
        identityEnd = identityEnd(whole);
    }

    /** Rows of {@code vectors} whole vectors each, vector {@code q} at {@code q * LANES}: every store plain. */
    private VectorStores(int vectors) {
        whole = new int[vectors];
        for (int q = 0; q < vectors; q++) {
            whole[q] = q * GemmKernel.LANES;
        }
        first = new int[vectors + 1];
        runDest = new int[0];
        runLane = new int[0];
        runLength = new int[0];
        identityEnd = identityEnd(whole);
    }

    /** The flat positions that lie before the first vector not stored whole at its own flat index. */
    private static int identityEnd(int[] whole) {
        int q = 0;
        while (q < whole.length && whole[q] == q * GemmKernel.LANES) {
            q++;
        }
        return q * GemmKernel.LANES;
    }

    /** Stores for plain rows of {@code vectors} vectors (a GEMM writing a matrix, not an NCHW output). */
    static VectorStores contiguous(int vectors) {
        return new VectorStores(vectors);
    }

    /**
     * Where one task's tiles store their vectors: the output array and the task's own scratch; with {@code relu},
     * every vector is clamped at zero on its way out (the fused Conv-ReLU post-op).
     */
    Sink sink(float[] out, boolean relu) {
        return new Sink(this, out, relu);
    }

    /**
     * The output side of one task (never shared between threads). A kernel writes its accumulators, row {@code m}
     * vector {@code v}, to {@link #tile} at {@code (3 * m + v) * LANES}, then calls {@link #flush}, which puts
     * each vector of flat positions into its output plane: a plain store where it lies inside one output row,
     * else lane runs copied one by one; full tiles whose flat positions are the output's own are stored by the
     * kernel itself ({@link #direct}). See {@link GemmKernel} for why the kernels do not store other tiles to the
     * output themselves.
     */
    static final class Sink {
        private static final int LANES = GemmKernel.LANES;
        /** Row {@code m}, vector {@code v} of the last tile at {@code (3 * m + v) * LANES}. */
        final float[] tile = new float[GemmKernel.ROWS * 3 * LANES];
        private final VectorStores stores;
        /** Where a kernel stores its accumulators: {@code targets[direct(j0)]}, the tile or the output. */
        final float[][] targets;
        private final float[] out;
        private final boolean relu;
        /** Full tiles ending at or before this flat position are stored by the kernel itself. */
        private final int directEnd;

        private Sink(VectorStores stores, float[] out, boolean relu) {
            this.stores = stores;
            this.out = out;
            this.relu = relu;
            this.targets = new float[][] {tile, out};
            this.directEnd = stores.identityEnd;
        }

        /**
         * 1 if the full tile at flat position {@code j0} goes straight to the output: row {@code m}, vector
         * {@code v} at {@code plane0 + m * planeStride + j0 + v * LANES} (its flat positions are the output's), and
         * {@link #flush} then only applies a fused ReLU there; else 0: row {@code m} to {@link #tile} at
         * {@code 3 * m * LANES}, then {@link #flush} stores it. Arithmetic, not a branch, and so are the kernels' uses of it:
         * C2 compiles a branch that a warm process never took as a trap, and taking it later would send the shared
         * kernel back to the interpreter (see {@link ImplicitGemmPlan}'s Span). Rows past the valid ones go to the
         * last valid row's place, which the kernel stores last (rows in descending order).
         */
        int direct(int j0) {
            return 1 - ((directEnd - j0 - GemmKernel.WIDTH) >>> 31);
        }

        /**
         * Stores the first {@code rows} rows of {@code vectors} vectors of {@link #tile}, flat vectors {@code q0,
         * q0 + 1, ...}, into the output planes {@code plane0 + m * planeStride}; vectors past the flat range (a
         * whole tile computed at its ragged end) are dropped. With {@code direct} 1 ({@link #direct}) the kernel has
         * stored them there itself and this only applies the ReLU, if fused, to them in the output.
         */
        void flush(int plane0, int planeStride, int q0, int vectors, int rows, int direct) {
            if (relu) {
                // on the tile, or on the output rows the kernel stored: chosen by arithmetic, as in the kernels
                relu(targets[direct], direct * (plane0 + q0 * LANES), direct * planeStride + (1 - direct) * 3 * LANES,
                        vectors, rows);
            }
            int[] whole = stores.whole;
            vectors = Math.min(vectors, whole.length - q0); // a whole tile at the ragged end: only the flat range
            for (int m = 0, stored = (1 - direct) * rows; m < stored; m++) {
                int plane = plane0 + m * planeStride;
                for (int v = 0; v < vectors; v++) {
                    int from = (3 * m + v) * LANES;
                    int d = whole[q0 + v];
                    if (d >= 0) {
                        FloatVector.fromArray(GemmKernel.F, tile, from).intoArray(out, plane + d);
                    } else {
                        stores.copyRuns(out, plane, q0 + v, tile, from);
                    }
                }
            }
        }

        /**
         * The fused ReLU post-op on {@code rows} rows of {@code vectors} vectors, row {@code m} vector {@code v} at
         * {@code a[at0 + m * rowStride + v * LANES]}, while they are in L1: {@code max(v, 0)}, which keeps NaN (the
         * Vector API's max is {@link Math#max}'s, NaN if either operand is).
         */
        private static void relu(float[] a, int at0, int rowStride, int vectors, int rows) {
            FloatVector zero = FloatVector.zero(GemmKernel.F);
            for (int m = 0; m < rows; m++) {
                for (int v = 0; v < vectors; v++) {
                    int at = at0 + m * rowStride + v * LANES;
                    FloatVector.fromArray(GemmKernel.F, a, at).max(zero).intoArray(a, at);
                }
            }
        }
    }

    /** Copies vector {@code q}'s lanes, at {@code src[from ..]}, to their runs in the plane at {@code plane}. */
    private void copyRuns(float[] out, int plane, int q, float[] src, int from) {
        for (int i = first[q], end = first[q + 1]; i < end; i++) {
            int dst = plane + runDest[i];
            int lane = from + runLane[i];
            for (int k = 0, n = runLength[i]; k < n; k++) {
                out[dst + k] = src[lane + k];
            }
        }
    }

    /** Bytes of the store tables, for a plan's {@code retainedBytes}. */
    long tableBytes() {
        return (long) Integer.BYTES * (whole.length + first.length + runDest.length + runLane.length + runLength.length);
    }
}
