package dev.jconv.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Where each vector of flat output positions goes in an NCHW output plane, precomputed per plan from
 * {@link FlatLayout#segmentsFor}. Most vectors lie inside one output row and are one plain store; a vector
 * that crosses one row end is two overlapping plain stores where a neighbour in the task's scratch tile
 * ({@link Sink}) supplies the lanes they overlap ({@link #storeCrossing}); any other has its lanes copied run by run.
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
     * Per flat vector {@code q}: where a full tile starting there goes in its output plane when its
     * {@link GemmKernel#VECTORS} vectors are whole and follow each other there (the tile lies inside one output
     * row, or in rows with no discarded columns between them), else -1: a kernel may write such a tile straight to
     * the output plane ({@link Sink#direct}). On the output's own flat positions (1x1 stride-1 layers, the Winograd
     * plans' matrices) that is every full tile, at {@code q * LANES}; on a layout with discarded columns, the tiles
     * that hold none.
     */
    private final int[] tileDest;
    /**
     * For a vector that crosses one row end ({@link #pairs}): its lanes {@code [0, a)} end a row at plane index
     * {@code pairDest[q]}, lanes {@code [a, b)} are discarded columns, and lanes {@code [b, LANES)} start the next
     * row right after, at {@code pairDest[q] + a}; {@code pairA[q] = a}, {@code pairB[q] = b}. {@code pairMode[q]}:
     * {@link #FORWARD} and / or {@link #BACKWARD} where its neighbour lets two plain stores write it, else 0.
     */
    private final int[] pairDest;
    private final int[] pairA;
    private final int[] pairB;
    private final byte[] pairMode;
    /** The next vector's first {@code b} lanes continue the row after this vector's last lane. */
    static final byte FORWARD = 1;
    /** The previous vector's last {@code LANES - a} lanes end right before this vector's first lane. */
    static final byte BACKWARD = 2;

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
        tileDest = tileDest(whole);
        pairDest = new int[vectors];
        pairA = new int[vectors];
        pairB = new int[vectors];
        pairMode = new byte[vectors];
        pairs(runs, lanes);
    }

    /**
     * Finds the vectors that cross one row end ({@link #pairDest}) and whether a neighbour's lanes let two plain
     * stores write them: forward, {@code tile[v]} at {@code d}, then {@code tile[v] + b} (this vector's later lanes
     * and the next one's first {@code b}) at {@code d + a}; backward, {@code tile[v]} at {@code d + a - b}, then
     * {@code tile[v] + a - LANES} (the previous vector's last lanes and this one's first {@code a}) at
     * {@code d + a - LANES}. The second store overwrites what the first put in the wrong places, and what either
     * writes of a neighbour is that neighbour's own value.
     */
    private void pairs(int[][] runs, int lanes) {
        int vectors = whole.length;
        int[] headDest = new int[vectors]; // plane index of lane 0 and the length of the run it starts (0: none)
        int[] headLength = new int[vectors];
        int[] tailEnd = new int[vectors];  // plane index after the last lane and the length of the run it ends
        int[] tailLength = new int[vectors];
        boolean[] crossing = new boolean[vectors];
        for (int q = 0; q < vectors; q++) {
            if (whole[q] >= 0) {
                headDest[q] = whole[q];
                headLength[q] = lanes;
                tailEnd[q] = whole[q] + lanes;
                tailLength[q] = lanes;
                continue;
            }
            int[] r = runs[q]; // (plane index of the run's first lane, first lane, length) per run
            int count = r.length / 3;
            if (count > 0 && r[1] == 0) {
                headDest[q] = r[0];
                headLength[q] = r[2];
            }
            if (count > 0 && r[3 * count - 2] + r[3 * count - 1] == lanes) {
                tailEnd[q] = r[3 * count - 3] + r[3 * count - 1];
                tailLength[q] = r[3 * count - 1];
            }
            if (count == 1 && r[1] == 0) { // a row's end, then discarded columns
                crossing[q] = set(q, r[0], r[2], lanes);
            } else if (count == 1 && r[1] + r[2] == lanes) { // discarded columns, then a row's start
                crossing[q] = set(q, r[0], 0, r[1]);
            } else if (count == 2 && r[1] == 0 && r[4] + r[5] == lanes && r[3] == r[0] + r[2]) {
                crossing[q] = set(q, r[0], r[2], r[4]);
            }
        }
        for (int q = 0; q < vectors; q++) {
            if (!crossing[q]) {
                continue;
            }
            int d = pairDest[q];
            int a = pairA[q];
            int b = pairB[q];
            boolean forward = q + 1 < vectors && headLength[q + 1] >= b && headDest[q + 1] == d + a + lanes - b;
            boolean backward = q > 0 && tailLength[q - 1] >= lanes - a && tailEnd[q - 1] == d;
            pairMode[q] = (byte) ((forward ? FORWARD : 0) | (backward ? BACKWARD : 0));
        }
    }

    /** Records vector {@code q}'s crossing ({@link #pairDest}); true. */
    private boolean set(int q, int dest, int a, int b) {
        pairDest[q] = dest;
        pairA[q] = a;
        pairB[q] = b;
        return true;
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
        tileDest = tileDest(whole);
        pairDest = new int[0]; // every vector is whole: none crosses a row end
        pairA = new int[0];
        pairB = new int[0];
        pairMode = new byte[0];
    }

    /** {@link #tileDest} from {@link #whole}. */
    private static int[] tileDest(int[] whole) {
        int[] dest = new int[whole.length];
        for (int q = 0; q < whole.length; q++) {
            dest[q] = q + GemmKernel.VECTORS <= whole.length ? whole[q] : -1;
            for (int v = 1; v < GemmKernel.VECTORS && dest[q] >= 0; v++) {
                dest[q] = whole[q + v] == whole[q] + v * GemmKernel.LANES ? dest[q] : -1;
            }
        }
        return dest;
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
     * else lane runs copied one by one; full tiles that lie contiguous in the output plane are stored by the
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
        /** Per flat vector, where a full tile starting there goes, or -1 ({@link VectorStores#tileDest}). */
        private final int[] tileDest;

        private Sink(VectorStores stores, float[] out, boolean relu) {
            this.stores = stores;
            this.out = out;
            this.relu = relu;
            this.targets = new float[][] {tile, out};
            this.tileDest = stores.tileDest;
        }

        /**
         * 1 if the full tile at flat position {@code j0} goes straight to the output: row {@code m}, vector {@code v}
         * at {@code plane0 + m * planeStride + destination(j0) + v * LANES} (its flat positions are one contiguous run
         * of the output plane), and {@link #flush} then only applies a fused ReLU there; else 0: row {@code m} to
         * {@link #tile} at {@code 3 * m * LANES}, then {@link #flush} stores it. Arithmetic, not a branch, and so are
         * the kernels' uses of it: C2 compiles a branch that a warm process never took as a trap, and taking it later
         * would send the shared kernel back to the interpreter (see {@link ImplicitGemmPlan}'s Span). Rows past the
         * valid ones go to the last valid row's place, which the kernel stores last (rows in descending order).
         */
        int direct(int j0) {
            return 1 - (tileDest[j0 / LANES] >>> 31);
        }

        /** Where the full tile at flat position {@code j0} starts in its output plane if {@link #direct}, else -1. */
        int destination(int j0) {
            return tileDest[j0 / LANES];
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
                relu(targets[direct], direct * (plane0 + tileDest[q0]), direct * planeStride + (1 - direct) * 3 * LANES,
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
                        stores.storeCrossing(out, plane, q0 + v, tile, from, v > 0, v + 1 < vectors);
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

    /**
     * Stores vector {@code q}, at {@code src[from ..]}, which is not one plain store: with two plain stores where it
     * crosses one row end and the neighbour in {@code src} (the previous one where {@code hasPrevious}, the next where
     * {@code hasNext}) fits ({@link #pairs}), else lane run by lane run. Measured on a 2-core AMD EPYC with AVX-512,
     * both builds in one JVM ({@code benchmarks/ab/two_builds_ab.sh}, 20 rounds), time over lane runs alone:
     * MobileNetV2's first layer, 3->32 3x3 stride 2 on 224x224 (27 taps, a row end in one vector of seven), 0.84 at
     * one thread, 0.88 at two and at AVX2's width (0.77 with the crossing vectors not stored at all, a bound); the
     * 7x7 stride-2 stem 0.98, 0.98, 0.92; the dilated 3x3 64 on 56x56 0.94, 0.97, 0.98.
     */
    private void storeCrossing(float[] out, int plane, int q, float[] src, int from, boolean hasPrevious,
                               boolean hasNext) {
        int mode = pairMode[q];
        int d = plane + pairDest[q];
        int a = pairA[q];
        int b = pairB[q];
        int lanes = GemmKernel.LANES;
        if ((mode & FORWARD) != 0 && hasNext) {
            FloatVector.fromArray(GemmKernel.F, src, from).intoArray(out, d);
            FloatVector.fromArray(GemmKernel.F, src, from + b).intoArray(out, d + a);
        } else if ((mode & BACKWARD) != 0 && hasPrevious) {
            FloatVector.fromArray(GemmKernel.F, src, from).intoArray(out, d + a - b);
            FloatVector.fromArray(GemmKernel.F, src, from + a - lanes).intoArray(out, d + a - lanes);
        } else {
            copyRuns(out, plane, q, src, from);
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
        return (long) Integer.BYTES * (whole.length + first.length + runDest.length + runLane.length + runLength.length
                + pairDest.length + pairA.length + pairB.length) + pairMode.length;
    }
}
