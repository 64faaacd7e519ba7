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
 * <p>Two weight layouts: packed per 8-channel block as {@code [tap][8]} (one stream, one index register: measured
 * 164 GFLOP/s against 122 for eight in-place rows, because C2 runs out of general registers for eight row
 * indices next to the array bases and bounds), which costs a copy of the weights per call and pays when the
 * flat range is long; and in place, for weight-heavy layers (512x3x3x512 on 7x7) where that copy would cost
 * as much as the convolution. Rows past {@code rowsValid} repeat the last valid row (or are zero, packed) and
 * are not stored.
 *
 * <p>Every kernel ends by writing its accumulators to the task's {@link VectorStores.Sink#tile} (plain,
 * unconditional stores) and leaves the row checks and the output layout to {@link VectorStores.Sink#flush}, a
 * compilation unit of its own. Why: with the 24 layout-aware stores in the kernel, C2 hit its node budget while
 * inlining them ("NodeCountInliningCutoff", or "too big" at call sites the profile counted as cold, -XX:+PrintInlining)
 * and called the rest out of line, which boxes the vector on every store: steady-state GEMM speed halved
 * whenever the profile had seen every branch (the background warm-up) and a kernel compiled from a different
 * profile than the one it then ran. The extra copy through L1 costs one vector load and store per output vector.
 *
 * <p>Except where a full tile's flat positions are one contiguous run of its output plane (every tile of 1x1 stride-1
 * unpadded layers and of the Winograd plans' matrices, whose flat positions are the output's own; elsewhere the tiles
 * that hold no discarded column): there the full-tile kernels store their accumulators straight into the output and
 * flush stores nothing, only applies a fused ReLU there ({@link VectorStores.Sink#direct}), the choice made by
 * arithmetic (which array, which offsets, from a table per flat vector), not a branch. Measured on a 2-core AMD EPYC
 * (Zen 4), both builds in one JVM ({@code benchmarks/ab/two_builds_ab.sh}, 40 rounds), 2 threads, time with direct
 * stores over without: 1x1 layers on 56x56 and 28x28 0.84-1.00 at 512 bits, 0.80-0.93 at AVX2's width
 * ({@code -XX:UseAVX=2}); Winograd F(4x4, 3x3) on 56x56 and 28x28 0.80-0.95 at 512 bits, 1.00 at AVX2's width; with
 * ReLU fused (then clamped in the output by flush) 1x1 layers 0.94-1.01 at 512 bits, 0.89-0.95 at AVX2's width. The
 * tiles inside the rows of a layout with discarded columns (at first only the identity prefix was stored this way),
 * same harness, 60 rounds, 1 / 2 threads: MobileNetV2's stem 3->32 3x3 stride 2 on 224x224 (27 taps: the stores were a
 * third of its time) 0.87 / 0.87 at 512 bits, 0.74 / 0.80 at AVX2's width; 32->64 3x3 on 112x112 1.02 / 0.92 and 0.90 /
 * 0.85; ResNet's 7x7 stem 1.01 / 0.92 and 0.99 / 0.98; 3x3 stride 2 128 on 56x56 1.01 / 0.94 and 1.01 / 1.00.
 */
final class GemmKernel {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int LANES = F.length();
    /** Output channels per weight block (one 8x3 register tile, or two 4x2 ones). */
    static final int ROWS = 8;
    /** The {@value #TILE_PROPERTY} system property forces {@code 8x3} or {@code 4x2} register tiles (tests, A/B). */
    static final String TILE_PROPERTY = "jconv.cpu.tile";
    /**
     * The register tile: {@code 8x3} (8 channels x 3 vectors: 24 accumulators, 3 input vectors and a broadcast, 28
     * vector registers) where vectors are 512-bit (AVX-512 has 32 registers), {@code 4x2} (8 + 2 + 1 = 11) where
     * they are narrower on x86 (AVX2 has 16, and 8x3 spills accumulators inside the tap loop). Measured on a 2-core
     * AMD EPYC with AVX-512 running as an AVX2 machine ({@code -XX:UseAVX=2}: 256-bit vectors, 16 registers), one
     * thread, the kernel alone on L1-resident data, 256 taps: 8x3 45-68 GFLOP/s, 4x3 (12 + 3 + 1 = 16 registers,
     * none spare; removed) 46, 4x2 92-96; whole layers at 2 threads 1.10-1.47x faster with 4x2 (the 7x7 stem 3.02
     * against 2.58 ms, dilated 3x3 3.26 against 2.22). At 512 bits the 4x2 kernel alone is faster too (153-161
     * against 101-106 GFLOP/s) but whole layers are 6-23% slower with it (it reads each input vector twice per
     * 8-channel block and its 32-column tiles waste more at row ends), so 8x3 stays there; see
     * {@code benchmarks/results/2026-12-02b_gemm-tiles.md}. Other architectures (AArch64 has 32 registers) keep 8x3.
     */
    static final boolean NARROW_TILE = narrowTile();
    /** Output channels per register tile. */
    static final int TILE_ROWS = NARROW_TILE ? 4 : 8;
    /** Vectors of flat positions per register tile. */
    static final int VECTORS = NARROW_TILE ? 2 : 3;
    /** Flat positions per full tile. */
    static final int WIDTH = VECTORS * LANES;

    private static boolean narrowTile() {
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        String forced = System.getProperty(TILE_PROPERTY, x86 && LANES < 16 ? "4x2" : "8x3").trim();
        return switch (forced) {
            case "8x3" -> false;
            case "4x2" -> true;
            default -> throw new IllegalArgumentException("system property " + TILE_PROPERTY
                    + " must be 8x3 or 4x2, got '" + forced + "'");
        };
    }

    /** The register tile's shape, e.g. {@code "8 channels x 3 vectors"}. */
    static String tileShape() {
        return TILE_ROWS + " channels x " + VECTORS + " vectors";
    }

    /** A full tile of an 8-channel block, weights packed: one 8x3 register tile, or two 4x2 ones. */
    static void fullTilePacked(float[] src, int srcBase, int[] taps, float[] wp, int wp0, int rowsValid,
                               float[] bias, int bias0, int plane0, int planeStride, int j0, VectorStores.Sink sink) {
        if (!NARROW_TILE) {
            tile8x3Packed(src, srcBase, taps, wp, wp0, rowsValid, bias, bias0, plane0, planeStride, j0, sink);
            return;
        }
        tile4x2Packed(src, srcBase, taps, wp, wp0, Math.min(4, rowsValid), bias, bias0, plane0, planeStride, j0,
                sink);
        if (rowsValid > 4) {
            tile4x2Packed(src, srcBase, taps, wp, wp0 + 4, rowsValid - 4, bias, bias0 + 4, plane0 + 4 * planeStride,
                    planeStride, j0, sink);
        }
    }

    /**
     * A full tile of an 8-channel block on a panel of its own, tap {@code t}'s {@link #WIDTH} columns at {@code t *
     * WIDTH}: one 8x3 tile reading the panel through {@code panelTaps} and the block's packed weights at {@code wp0};
     * or, on the narrow tile, two {@link #tile4x2Panel} tiles on the block's weights split into halves of four rows
     * ({@link #packHalves}).
     */
    static void fullTilePanel(float[] panel, int[] panelTaps, float[] wp, int wp0, float[] low, float[] high,
                              int rowsValid, float[] bias, int bias0, int plane0, int planeStride, int j0,
                              VectorStores.Sink sink) {
        if (!NARROW_TILE) {
            tile8x3Packed(panel, -j0, panelTaps, wp, wp0, rowsValid, bias, bias0, plane0, planeStride, j0, sink);
            return;
        }
        int taps = panelTaps.length;
        tile4x2Panel(panel, taps, low, Math.min(4, rowsValid), bias, bias0, plane0, planeStride, j0, sink);
        if (rowsValid > 4) {
            tile4x2Panel(panel, taps, high, rowsValid - 4, bias, bias0 + 4, plane0 + 4 * planeStride, planeStride, j0,
                    sink);
        }
    }

    /**
     * Block {@code b} of packed weights ({@link #pack}: {@code wp[b * taps * 8 + 8 * t + m]}) as two arrays of
     * {@code [tap][4]}, rows 0-3 into {@code halves[2 * b]} and rows 4-7 into {@code halves[2 * b + 1]}, for
     * {@link #tile4x2Panel}; arrays missing or too short are made.
     */
    static void packHalves(float[] wp, int blocks, int taps, float[][] halves) {
        for (int b = 0; b < blocks; b++) {
            float[] low = halves[2 * b];
            float[] high = halves[2 * b + 1];
            if (low == null || low.length < 4 * taps) {
                low = halves[2 * b] = new float[4 * taps];
                high = halves[2 * b + 1] = new float[4 * taps];
            }
            for (int t = 0, src = b * taps * ROWS; t < taps; t++, src += ROWS) {
                System.arraycopy(wp, src, low, 4 * t, 4);
                System.arraycopy(wp, src + 4, high, 4 * t, 4);
            }
        }
    }

    /** A full tile of an 8-channel block, weights in place: one 8x3 register tile, or two 4x2 ones. */
    static void fullTile(float[] src, int srcBase, int[] taps, float[] w, int row0, int rowStride, int rowsValid,
                         float[] bias, int bias0, int plane0, int planeStride, int j0, VectorStores.Sink sink) {
        if (!NARROW_TILE) {
            tile8x3(src, srcBase, taps, w, row0, rowStride, rowsValid, bias, bias0, plane0, planeStride, j0, sink);
            return;
        }
        tile4x2(src, srcBase, taps, w, row0, rowStride, Math.min(4, rowsValid), bias, bias0, plane0, planeStride, j0,
                sink);
        if (rowsValid > 4) {
            tile4x2(src, srcBase, taps, w, row0 + 4 * rowStride, rowStride, rowsValid - 4, bias, bias0 + 4,
                    plane0 + 4 * planeStride, planeStride, j0, sink);
        }
    }

    /**
     * Packs output channels {@code [k0, k0 + rows)} ({@code rows <= 8}) of a weight array whose channels have
     * {@code taps} weights each into {@code wp[wp0 + 8 * t + m]}, zero-filling channels past {@code rows}.
     */
    static void pack(float[] w, int k0, int rows, int taps, float[] wp, int wp0) {
        for (int m = 0; m < ROWS; m++) {
            int dst = wp0 + m;
            if (m < rows) {
                for (int t = 0, src = (k0 + m) * taps; t < taps; t++, src++, dst += ROWS) {
                    wp[dst] = w[src];
                }
            } else {
                for (int t = 0; t < taps; t++, dst += ROWS) {
                    wp[dst] = 0f;
                }
            }
        }
    }

    private GemmKernel() {}

    /**
     * Lanes {@code [0, lanes)} of {@code a[o ..]} ({@code valid}), zero past them. The JDK's masked load takes a
     * slow path, a call C2 does not inline, when the whole vector does not fit the array, and that branch's profile
     * is shared by every caller in the JVM: once any call has taken it, C2 compiles every masked load with the mask
     * boxed around that call. Measured (2-core AMD EPYC, 2 threads, Java 17): after small layers read in place had
     * run their ragged ends against their arrays' ends, this kernel took 3.4x as long and Winograd 128 on 28x28 ran
     * 1.5-2.7x its usual time for good. So a vector that does not fit goes through a zero-padded copy here, and
     * the JDK's masked load only ever sees vectors that fit.
     */
    static FloatVector loadFirst(float[] a, int o, VectorMask<Float> valid, int lanes) {
        if (o <= a.length - LANES) {
            return FloatVector.fromArray(F, a, o, valid);
        }
        float[] padded = new float[LANES];
        System.arraycopy(a, o, padded, 0, lanes);
        return FloatVector.fromArray(F, padded, 0);
    }

    private static FloatVector start(float[] bias, int bias0, int m, int rowsValid) {
        return bias == null ? FloatVector.zero(F) : FloatVector.broadcast(F, bias[bias0 + Math.min(m, rowsValid - 1)]);
    }

    /** An 8-channel x 3-vector tile over every tap, weights packed as {@code wp[wp0 + 8 * t + m]}. */
    static void tile8x3Packed(float[] src, int srcBase, int[] taps, float[] wp, int wp0, int rowsValid, float[] bias,
            int bias0, int plane0, int planeStride, int j0, VectorStores.Sink sink) {
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
            int q = wp0 + ROWS * t;
            FloatVector x;
            x = FloatVector.broadcast(F, wp[q + 0]);
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            a02 = x.fma(b2, a02);
            x = FloatVector.broadcast(F, wp[q + 1]);
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            a12 = x.fma(b2, a12);
            x = FloatVector.broadcast(F, wp[q + 2]);
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            a22 = x.fma(b2, a22);
            x = FloatVector.broadcast(F, wp[q + 3]);
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            a32 = x.fma(b2, a32);
            x = FloatVector.broadcast(F, wp[q + 4]);
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            a42 = x.fma(b2, a42);
            x = FloatVector.broadcast(F, wp[q + 5]);
            a50 = x.fma(b0, a50);
            a51 = x.fma(b1, a51);
            a52 = x.fma(b2, a52);
            x = FloatVector.broadcast(F, wp[q + 6]);
            a60 = x.fma(b0, a60);
            a61 = x.fma(b1, a61);
            a62 = x.fma(b2, a62);
            x = FloatVector.broadcast(F, wp[q + 7]);
            a70 = x.fma(b0, a70);
            a71 = x.fma(b1, a71);
            a72 = x.fma(b2, a72);
        }
        int direct = sink.direct(j0);
        float[] dst = sink.targets[direct];
        int at = direct * (plane0 + sink.destination(j0));
        int stride = direct * planeStride + (1 - direct) * 3 * LANES;
        int last = direct * (rowsValid - 1) + (1 - direct) * 7;
        int o = at + Math.min(7, last) * stride;
        a70.intoArray(dst, o);
        a71.intoArray(dst, o + LANES);
        a72.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(6, last) * stride;
        a60.intoArray(dst, o);
        a61.intoArray(dst, o + LANES);
        a62.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(5, last) * stride;
        a50.intoArray(dst, o);
        a51.intoArray(dst, o + LANES);
        a52.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(4, last) * stride;
        a40.intoArray(dst, o);
        a41.intoArray(dst, o + LANES);
        a42.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(3, last) * stride;
        a30.intoArray(dst, o);
        a31.intoArray(dst, o + LANES);
        a32.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(2, last) * stride;
        a20.intoArray(dst, o);
        a21.intoArray(dst, o + LANES);
        a22.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(1, last) * stride;
        a10.intoArray(dst, o);
        a11.intoArray(dst, o + LANES);
        a12.intoArray(dst, o + 2 * LANES);
        o = at;
        a00.intoArray(dst, o);
        a01.intoArray(dst, o + LANES);
        a02.intoArray(dst, o + 2 * LANES);
        sink.flush(plane0, planeStride, j0 / LANES, 3, rowsValid, direct);
    }

    /**
     * An 8-channel x 1-vector tile reading only the first {@code lanes} lanes (the ragged end of the flat range,
     * which must not read past the caller's input), weights packed as {@code wp[wp0 + 8 * t + m]}.
     */
    static void tile8x1Packed(float[] src, int srcBase, int[] taps, float[] wp, int wp0, int rowsValid, float[] bias,
            int bias0, int plane0, int planeStride, int j0, int lanes, VectorStores.Sink sink) {
        FloatVector a00 = start(bias, bias0, 0, rowsValid);
        FloatVector a10 = start(bias, bias0, 1, rowsValid);
        FloatVector a20 = start(bias, bias0, 2, rowsValid);
        FloatVector a30 = start(bias, bias0, 3, rowsValid);
        FloatVector a40 = start(bias, bias0, 4, rowsValid);
        FloatVector a50 = start(bias, bias0, 5, rowsValid);
        FloatVector a60 = start(bias, bias0, 6, rowsValid);
        FloatVector a70 = start(bias, bias0, 7, rowsValid);
        VectorMask<Float> valid = F.indexInRange(0, lanes);
        int base = srcBase + j0;
        for (int t = 0; t < taps.length; t++) {
            int o = base + taps[t];
            FloatVector b0 = loadFirst(src, o, valid, lanes);
            int q = wp0 + ROWS * t;
            FloatVector x;
            x = FloatVector.broadcast(F, wp[q + 0]);
            a00 = x.fma(b0, a00);
            x = FloatVector.broadcast(F, wp[q + 1]);
            a10 = x.fma(b0, a10);
            x = FloatVector.broadcast(F, wp[q + 2]);
            a20 = x.fma(b0, a20);
            x = FloatVector.broadcast(F, wp[q + 3]);
            a30 = x.fma(b0, a30);
            x = FloatVector.broadcast(F, wp[q + 4]);
            a40 = x.fma(b0, a40);
            x = FloatVector.broadcast(F, wp[q + 5]);
            a50 = x.fma(b0, a50);
            x = FloatVector.broadcast(F, wp[q + 6]);
            a60 = x.fma(b0, a60);
            x = FloatVector.broadcast(F, wp[q + 7]);
            a70 = x.fma(b0, a70);
        }
        float[] tile = sink.tile;
        a00.intoArray(tile, 0 * LANES);
        a10.intoArray(tile, 3 * LANES);
        a20.intoArray(tile, 6 * LANES);
        a30.intoArray(tile, 9 * LANES);
        a40.intoArray(tile, 12 * LANES);
        a50.intoArray(tile, 15 * LANES);
        a60.intoArray(tile, 18 * LANES);
        a70.intoArray(tile, 21 * LANES);
        sink.flush(plane0, planeStride, j0 / LANES, 1, rowsValid, 0);
    }

    /**
     * An 8-channel x 3-vector tile over every tap, weights read in place, row {@code m} at
     * {@code w[row0 + m * rowStride + t]}.
     */
    static void tile8x3(float[] src, int srcBase, int[] taps, float[] w, int row0, int rowStride, int rowsValid,
                        float[] bias,
            int bias0, int plane0, int planeStride, int j0, VectorStores.Sink sink) {
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
        int direct = sink.direct(j0);
        float[] dst = sink.targets[direct];
        int at = direct * (plane0 + sink.destination(j0));
        int stride = direct * planeStride + (1 - direct) * 3 * LANES;
        int last = direct * (rowsValid - 1) + (1 - direct) * 7;
        int o = at + Math.min(7, last) * stride;
        a70.intoArray(dst, o);
        a71.intoArray(dst, o + LANES);
        a72.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(6, last) * stride;
        a60.intoArray(dst, o);
        a61.intoArray(dst, o + LANES);
        a62.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(5, last) * stride;
        a50.intoArray(dst, o);
        a51.intoArray(dst, o + LANES);
        a52.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(4, last) * stride;
        a40.intoArray(dst, o);
        a41.intoArray(dst, o + LANES);
        a42.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(3, last) * stride;
        a30.intoArray(dst, o);
        a31.intoArray(dst, o + LANES);
        a32.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(2, last) * stride;
        a20.intoArray(dst, o);
        a21.intoArray(dst, o + LANES);
        a22.intoArray(dst, o + 2 * LANES);
        o = at + Math.min(1, last) * stride;
        a10.intoArray(dst, o);
        a11.intoArray(dst, o + LANES);
        a12.intoArray(dst, o + 2 * LANES);
        o = at;
        a00.intoArray(dst, o);
        a01.intoArray(dst, o + LANES);
        a02.intoArray(dst, o + 2 * LANES);
        sink.flush(plane0, planeStride, j0 / LANES, 3, rowsValid, direct);
    }

    /**
     * An 8-channel x 1-vector tile reading only the first {@code lanes} lanes (the ragged end of the flat range,
     * which must not read past the caller's input), weights read in place, row {@code m} at
     * {@code w[row0 + m * rowStride + t]}.
     */
    static void tile8x1(float[] src, int srcBase, int[] taps, float[] w, int row0, int rowStride, int rowsValid,
                        float[] bias,
            int bias0, int plane0, int planeStride, int j0, int lanes, VectorStores.Sink sink) {
        int w0 = row0 + Math.min(0, rowsValid - 1) * rowStride;
        int w1 = row0 + Math.min(1, rowsValid - 1) * rowStride;
        int w2 = row0 + Math.min(2, rowsValid - 1) * rowStride;
        int w3 = row0 + Math.min(3, rowsValid - 1) * rowStride;
        int w4 = row0 + Math.min(4, rowsValid - 1) * rowStride;
        int w5 = row0 + Math.min(5, rowsValid - 1) * rowStride;
        int w6 = row0 + Math.min(6, rowsValid - 1) * rowStride;
        int w7 = row0 + Math.min(7, rowsValid - 1) * rowStride;
        FloatVector a00 = start(bias, bias0, 0, rowsValid);
        FloatVector a10 = start(bias, bias0, 1, rowsValid);
        FloatVector a20 = start(bias, bias0, 2, rowsValid);
        FloatVector a30 = start(bias, bias0, 3, rowsValid);
        FloatVector a40 = start(bias, bias0, 4, rowsValid);
        FloatVector a50 = start(bias, bias0, 5, rowsValid);
        FloatVector a60 = start(bias, bias0, 6, rowsValid);
        FloatVector a70 = start(bias, bias0, 7, rowsValid);
        VectorMask<Float> valid = F.indexInRange(0, lanes);
        int base = srcBase + j0;
        for (int t = 0; t < taps.length; t++) {
            int o = base + taps[t];
            FloatVector b0 = loadFirst(src, o, valid, lanes);
            FloatVector x;
            x = FloatVector.broadcast(F, w[w0 + t]);
            a00 = x.fma(b0, a00);
            x = FloatVector.broadcast(F, w[w1 + t]);
            a10 = x.fma(b0, a10);
            x = FloatVector.broadcast(F, w[w2 + t]);
            a20 = x.fma(b0, a20);
            x = FloatVector.broadcast(F, w[w3 + t]);
            a30 = x.fma(b0, a30);
            x = FloatVector.broadcast(F, w[w4 + t]);
            a40 = x.fma(b0, a40);
            x = FloatVector.broadcast(F, w[w5 + t]);
            a50 = x.fma(b0, a50);
            x = FloatVector.broadcast(F, w[w6 + t]);
            a60 = x.fma(b0, a60);
            x = FloatVector.broadcast(F, w[w7 + t]);
            a70 = x.fma(b0, a70);
        }
        float[] tile = sink.tile;
        a00.intoArray(tile, 0 * LANES);
        a10.intoArray(tile, 3 * LANES);
        a20.intoArray(tile, 6 * LANES);
        a30.intoArray(tile, 9 * LANES);
        a40.intoArray(tile, 12 * LANES);
        a50.intoArray(tile, 15 * LANES);
        a60.intoArray(tile, 18 * LANES);
        a70.intoArray(tile, 21 * LANES);
        sink.flush(plane0, planeStride, j0 / LANES, 1, rowsValid, 0);
    }

    /**
     * A 4-channel x 2-vector tile over every tap (8 accumulators, 2 input vectors and a broadcast: 11 of AVX2's 16
     * vector registers), weights packed 8 channels per tap as {@code wp[wp0 + 8 * t + m]} for {@code m < 4}.
     */
    static void tile4x2Packed(float[] src, int srcBase, int[] taps, float[] wp, int wp0, int rowsValid, float[] bias,
            int bias0, int plane0, int planeStride, int j0, VectorStores.Sink sink) {
        FloatVector a00 = start(bias, bias0, 0, rowsValid);
        FloatVector a01 = a00;
        FloatVector a10 = start(bias, bias0, 1, rowsValid);
        FloatVector a11 = a10;
        FloatVector a20 = start(bias, bias0, 2, rowsValid);
        FloatVector a21 = a20;
        FloatVector a30 = start(bias, bias0, 3, rowsValid);
        FloatVector a31 = a30;
        int base = srcBase + j0;
        for (int t = 0; t < taps.length; t++) {
            int o = base + taps[t];
            FloatVector b0 = FloatVector.fromArray(F, src, o);
            FloatVector b1 = FloatVector.fromArray(F, src, o + LANES);
            int q = wp0 + ROWS * t;
            FloatVector x;
            x = FloatVector.broadcast(F, wp[q + 0]);
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            x = FloatVector.broadcast(F, wp[q + 1]);
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            x = FloatVector.broadcast(F, wp[q + 2]);
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            x = FloatVector.broadcast(F, wp[q + 3]);
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
        }
        int direct = sink.direct(j0);
        float[] dst = sink.targets[direct];
        int at = direct * (plane0 + sink.destination(j0));
        int stride = direct * planeStride + (1 - direct) * 3 * LANES;
        int last = direct * (Math.min(4, rowsValid) - 1) + (1 - direct) * 3;
        int o = at + Math.min(3, last) * stride;
        a30.intoArray(dst, o);
        a31.intoArray(dst, o + LANES);
        o = at + Math.min(2, last) * stride;
        a20.intoArray(dst, o);
        a21.intoArray(dst, o + LANES);
        o = at + Math.min(1, last) * stride;
        a10.intoArray(dst, o);
        a11.intoArray(dst, o + LANES);
        o = at;
        a00.intoArray(dst, o);
        a01.intoArray(dst, o + LANES);
        sink.flush(plane0, planeStride, j0 / LANES, 2, Math.min(4, rowsValid), direct);
    }

    /** Panel floats per weight float in {@link #tile4x2Panel}: {@link #WIDTH} columns per tap against 4 weights. */
    private static final int PANEL_STEP = WIDTH / 4;

    /**
     * As {@link #tile4x2Packed}, on a panel of its own, tap {@code t}'s {@link #WIDTH} columns at {@code panel[t *
     * WIDTH]}, and four rows of weights of their own, {@code half[4 * t + m]} ({@link #packHalves}). Both streams
     * start at index 0 of their arrays and advance with one induction variable, {@code i = 4 * t}, so C2 addresses
     * them from it with constant offsets: 22 instructions per tap for 8 FMAs (read in {@code -XX:+PrintAssembly}),
     * against 27 with a panel offset and a weight offset (it rebuilt both indices from the tap and spilled the
     * panel's base to a vector register), and the bounds checked once before the loop. Why it matters: on the
     * shared 2-core EPYCs this project is measured on, a tenant on the core's other hardware thread halves the
     * dispatch slots for seconds at a time, and loops that spend more instructions per FMA lose more FMAs then.
     * Kernel alone, 256 taps in L1, alternating in one JVM on a Zen 3 EPYC (AVX2): 90.6-92.0 GFLOP/s against
     * 86.9-87.5 with the offsets; 64 taps 85.2 against 81.1. Layers, both builds in one JVM ({@code
     * benchmarks/ab/two_builds_ab.sh}, 30-40 rounds), time over the form with offsets, one / two threads: 1x1 256->128
     * on 56x56 0.93 / 0.95, 256->64 0.94 / 0.97, 256->512 stride 2 0.93 / 0.94, 64->256 0.96, 128->512 on 28x28 0.96,
     * 512->256 1.00 / 0.97, MobileNet's 24->144 on 56x56 0.83 / 0.93 and 16->96 on 112x112 0.99 / 0.91, a dilated 3x3
     * 1.00 / 0.94, 64->64 on 56x56 0.98 / 1.05. Its loop stays on a multiple of the tap, not on two stream indices:
     * that form (tried before) ran 0.87x at 64 taps.
     */
    static void tile4x2Panel(float[] panel, int tapCount, float[] half, int rowsValid, float[] bias, int bias0,
                             int plane0, int planeStride, int j0, VectorStores.Sink sink) {
        FloatVector a00 = start(bias, bias0, 0, rowsValid);
        FloatVector a01 = a00;
        FloatVector a10 = start(bias, bias0, 1, rowsValid);
        FloatVector a11 = a10;
        FloatVector a20 = start(bias, bias0, 2, rowsValid);
        FloatVector a21 = a20;
        FloatVector a30 = start(bias, bias0, 3, rowsValid);
        FloatVector a31 = a30;
        for (int i = 0, end = 4 * tapCount; i < end; i += 4) {
            FloatVector b0 = FloatVector.fromArray(F, panel, PANEL_STEP * i);
            FloatVector b1 = FloatVector.fromArray(F, panel, PANEL_STEP * i + LANES);
            FloatVector x;
            x = FloatVector.broadcast(F, half[i]);
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            x = FloatVector.broadcast(F, half[i + 1]);
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            x = FloatVector.broadcast(F, half[i + 2]);
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            x = FloatVector.broadcast(F, half[i + 3]);
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
        }
        int direct = sink.direct(j0);
        float[] dst = sink.targets[direct];
        int at = direct * (plane0 + sink.destination(j0));
        int stride = direct * planeStride + (1 - direct) * 3 * LANES;
        int last = direct * (Math.min(4, rowsValid) - 1) + (1 - direct) * 3;
        int o = at + Math.min(3, last) * stride;
        a30.intoArray(dst, o);
        a31.intoArray(dst, o + LANES);
        o = at + Math.min(2, last) * stride;
        a20.intoArray(dst, o);
        a21.intoArray(dst, o + LANES);
        o = at + Math.min(1, last) * stride;
        a10.intoArray(dst, o);
        a11.intoArray(dst, o + LANES);
        o = at;
        a00.intoArray(dst, o);
        a01.intoArray(dst, o + LANES);
        sink.flush(plane0, planeStride, j0 / LANES, 2, Math.min(4, rowsValid), direct);
    }

    /** As {@link #tile4x2Packed}, weights read in place, row {@code m} at {@code w[row0 + m * rowStride + t]}. */
    static void tile4x2(float[] src, int srcBase, int[] taps, float[] w, int row0, int rowStride, int rowsValid,
                        float[] bias, int bias0, int plane0, int planeStride, int j0, VectorStores.Sink sink) {
        int w0 = row0 + Math.min(0, rowsValid - 1) * rowStride;
        int w1 = row0 + Math.min(1, rowsValid - 1) * rowStride;
        int w2 = row0 + Math.min(2, rowsValid - 1) * rowStride;
        int w3 = row0 + Math.min(3, rowsValid - 1) * rowStride;
        FloatVector a00 = start(bias, bias0, 0, rowsValid);
        FloatVector a01 = a00;
        FloatVector a10 = start(bias, bias0, 1, rowsValid);
        FloatVector a11 = a10;
        FloatVector a20 = start(bias, bias0, 2, rowsValid);
        FloatVector a21 = a20;
        FloatVector a30 = start(bias, bias0, 3, rowsValid);
        FloatVector a31 = a30;
        int base = srcBase + j0;
        for (int t = 0; t < taps.length; t++) {
            int o = base + taps[t];
            FloatVector b0 = FloatVector.fromArray(F, src, o);
            FloatVector b1 = FloatVector.fromArray(F, src, o + LANES);
            FloatVector x;
            x = FloatVector.broadcast(F, w[w0 + t]);
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            x = FloatVector.broadcast(F, w[w1 + t]);
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            x = FloatVector.broadcast(F, w[w2 + t]);
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            x = FloatVector.broadcast(F, w[w3 + t]);
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
        }
        int direct = sink.direct(j0);
        float[] dst = sink.targets[direct];
        int at = direct * (plane0 + sink.destination(j0));
        int stride = direct * planeStride + (1 - direct) * 3 * LANES;
        int last = direct * (Math.min(4, rowsValid) - 1) + (1 - direct) * 3;
        int o = at + Math.min(3, last) * stride;
        a30.intoArray(dst, o);
        a31.intoArray(dst, o + LANES);
        o = at + Math.min(2, last) * stride;
        a20.intoArray(dst, o);
        a21.intoArray(dst, o + LANES);
        o = at + Math.min(1, last) * stride;
        a10.intoArray(dst, o);
        a11.intoArray(dst, o + LANES);
        o = at;
        a00.intoArray(dst, o);
        a01.intoArray(dst, o + LANES);
        sink.flush(plane0, planeStride, j0 / LANES, 2, Math.min(4, rowsValid), direct);
    }
}
