package dev.jconv.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ChannelGemmKernel}'s register tiles reading the input's stride-phase layout ({@link FlatLayout}) in place
 * instead of an im2col panel, for {@link StemPlan}: a tile of {@code P} consecutive flat positions and
 * {@code V * LANES} output channels,
 * <pre>
 *   tile[i][v * LANES + l] = sum over taps t of  src[base + taps[t] + i] * wp[w0 + V * LANES * t + v * LANES + l]
 * </pre>
 * Per tap: one tap offset, {@code V} vector loads of weights, {@code P} broadcasts at consecutive addresses,
 * {@code V * P} FMAs. Same shapes as the panel kernels ({@code 3 x 8} for 16-lane vectors, {@code 2 x 6} for
 * narrower ones) and the same partial tiles for a block's last channels; unrolled by hand for the same reason.
 * The panel kernels are not these with tap offsets {@code 0, P, 2P, ...}: their addresses are affine in the tap,
 * so C2 checks the bounds once per loop instead of once per tap ({@link GemmKernel#tile4x2Panel} measured
 * 79.6 against 70.5 GFLOP/s for the same difference).
 *
 * <p>On {@link StemPlan}'s interleaved copy (each {@value #INTERLEAVE} input channels side by side) the narrow tiles
 * read {@code src[base + taps[t] + INTERLEAVE * i]} instead ({@link #tile2x6Interleaved}, {@link #tile1x6Interleaved}).
 */
final class StemKernel {
    static final VectorSpecies<Float> F = GemmKernel.F;
    static final int LANES = GemmKernel.LANES;
    /** Channels per group of {@link StemPlan}'s interleaved layout: one pixel's 8 channels fill 32 bytes. */
    static final int INTERLEAVE = 8;

    private StemKernel() {}

    /**
     * {@code shape}'s full tile ({@link ChannelGemmKernel#run}) on the layout, the narrow one also stored to
     * {@code run} where that is not null ({@link OutputRun}).
     */
    static void run(ChannelGemmKernel shape, float[] src, int base, int[] taps, float[] wp, int w0, float[] tile,
                    OutputRun run) {
        if (shape == ChannelGemmKernel.WIDE) {
            tile3x8Layout(src, base, taps, wp, w0, tile);
        } else {
            tile2x6Layout(src, base, taps, wp, w0, tile, run);
        }
    }

    /**
     * {@code shape}'s tile for a block's first {@code channels} where they need fewer vectors than the shape has
     * ({@link ChannelGemmKernel#runPart}), kept apart from {@link #run} for the same reason.
     */
    static void runPart(ChannelGemmKernel shape, float[] src, int base, int[] taps, float[] wp, int w0, float[] tile,
                        int channels) {
        int stride = shape.channels();
        if (shape == ChannelGemmKernel.NARROW) {
            tile1x6Layout(src, base, taps, wp, w0, tile, stride);
        } else if (channels > LANES) {
            tile2x8Layout(src, base, taps, wp, w0, tile, stride);
        } else {
            tile1x8Layout(src, base, taps, wp, w0, tile, stride);
        }
    }

    /** {@link ChannelGemmKernel#tile3x8} reading pixel {@code i}'s tap {@code t} at {@code src[base + taps[t] + i]}. */
    static void tile3x8Layout(float[] src, int base, int[] taps, float[] wp, int w0, float[] tile) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00;
        FloatVector a02 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a12 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a22 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        FloatVector a32 = a00;
        FloatVector a40 = a00;
        FloatVector a41 = a00;
        FloatVector a42 = a00;
        FloatVector a50 = a00;
        FloatVector a51 = a00;
        FloatVector a52 = a00;
        FloatVector a60 = a00;
        FloatVector a61 = a00;
        FloatVector a62 = a00;
        FloatVector a70 = a00;
        FloatVector a71 = a00;
        FloatVector a72 = a00;
        for (int t = 0; t < taps.length; t++) {
            int q = w0 + 3 * LANES * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            FloatVector w1v = FloatVector.fromArray(F, wp, q + LANES);
            FloatVector w2v = FloatVector.fromArray(F, wp, q + 2 * LANES);
            int r = base + taps[t];
            FloatVector x;
            x = FloatVector.broadcast(F, src[r]);
            a00 = w0v.fma(x, a00);
            a01 = w1v.fma(x, a01);
            a02 = w2v.fma(x, a02);
            x = FloatVector.broadcast(F, src[r + 1]);
            a10 = w0v.fma(x, a10);
            a11 = w1v.fma(x, a11);
            a12 = w2v.fma(x, a12);
            x = FloatVector.broadcast(F, src[r + 2]);
            a20 = w0v.fma(x, a20);
            a21 = w1v.fma(x, a21);
            a22 = w2v.fma(x, a22);
            x = FloatVector.broadcast(F, src[r + 3]);
            a30 = w0v.fma(x, a30);
            a31 = w1v.fma(x, a31);
            a32 = w2v.fma(x, a32);
            x = FloatVector.broadcast(F, src[r + 4]);
            a40 = w0v.fma(x, a40);
            a41 = w1v.fma(x, a41);
            a42 = w2v.fma(x, a42);
            x = FloatVector.broadcast(F, src[r + 5]);
            a50 = w0v.fma(x, a50);
            a51 = w1v.fma(x, a51);
            a52 = w2v.fma(x, a52);
            x = FloatVector.broadcast(F, src[r + 6]);
            a60 = w0v.fma(x, a60);
            a61 = w1v.fma(x, a61);
            a62 = w2v.fma(x, a62);
            x = FloatVector.broadcast(F, src[r + 7]);
            a70 = w0v.fma(x, a70);
            a71 = w1v.fma(x, a71);
            a72 = w2v.fma(x, a72);
        }
        a00.intoArray(tile, 0 * LANES);
        a01.intoArray(tile, 1 * LANES);
        a02.intoArray(tile, 2 * LANES);
        a10.intoArray(tile, 3 * LANES);
        a11.intoArray(tile, 4 * LANES);
        a12.intoArray(tile, 5 * LANES);
        a20.intoArray(tile, 6 * LANES);
        a21.intoArray(tile, 7 * LANES);
        a22.intoArray(tile, 8 * LANES);
        a30.intoArray(tile, 9 * LANES);
        a31.intoArray(tile, 10 * LANES);
        a32.intoArray(tile, 11 * LANES);
        a40.intoArray(tile, 12 * LANES);
        a41.intoArray(tile, 13 * LANES);
        a42.intoArray(tile, 14 * LANES);
        a50.intoArray(tile, 15 * LANES);
        a51.intoArray(tile, 16 * LANES);
        a52.intoArray(tile, 17 * LANES);
        a60.intoArray(tile, 18 * LANES);
        a61.intoArray(tile, 19 * LANES);
        a62.intoArray(tile, 20 * LANES);
        a70.intoArray(tile, 21 * LANES);
        a71.intoArray(tile, 22 * LANES);
        a72.intoArray(tile, 23 * LANES);
    }

    /** {@link ChannelGemmKernel#tile2x8} reading the layout, as {@link #tile3x8Layout}. */
    static void tile2x8Layout(float[] src, int base, int[] taps, float[] wp, int w0, float[] tile, int stride) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        FloatVector a40 = a00;
        FloatVector a41 = a00;
        FloatVector a50 = a00;
        FloatVector a51 = a00;
        FloatVector a60 = a00;
        FloatVector a61 = a00;
        FloatVector a70 = a00;
        FloatVector a71 = a00;
        for (int t = 0; t < taps.length; t++) {
            int q = w0 + stride * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            FloatVector w1v = FloatVector.fromArray(F, wp, q + LANES);
            int r = base + taps[t];
            FloatVector x;
            x = FloatVector.broadcast(F, src[r]);
            a00 = w0v.fma(x, a00);
            a01 = w1v.fma(x, a01);
            x = FloatVector.broadcast(F, src[r + 1]);
            a10 = w0v.fma(x, a10);
            a11 = w1v.fma(x, a11);
            x = FloatVector.broadcast(F, src[r + 2]);
            a20 = w0v.fma(x, a20);
            a21 = w1v.fma(x, a21);
            x = FloatVector.broadcast(F, src[r + 3]);
            a30 = w0v.fma(x, a30);
            a31 = w1v.fma(x, a31);
            x = FloatVector.broadcast(F, src[r + 4]);
            a40 = w0v.fma(x, a40);
            a41 = w1v.fma(x, a41);
            x = FloatVector.broadcast(F, src[r + 5]);
            a50 = w0v.fma(x, a50);
            a51 = w1v.fma(x, a51);
            x = FloatVector.broadcast(F, src[r + 6]);
            a60 = w0v.fma(x, a60);
            a61 = w1v.fma(x, a61);
            x = FloatVector.broadcast(F, src[r + 7]);
            a70 = w0v.fma(x, a70);
            a71 = w1v.fma(x, a71);
        }
        a00.intoArray(tile, 0);
        a01.intoArray(tile, 0 + LANES);
        a10.intoArray(tile, stride);
        a11.intoArray(tile, stride + LANES);
        a20.intoArray(tile, 2 * stride);
        a21.intoArray(tile, 2 * stride + LANES);
        a30.intoArray(tile, 3 * stride);
        a31.intoArray(tile, 3 * stride + LANES);
        a40.intoArray(tile, 4 * stride);
        a41.intoArray(tile, 4 * stride + LANES);
        a50.intoArray(tile, 5 * stride);
        a51.intoArray(tile, 5 * stride + LANES);
        a60.intoArray(tile, 6 * stride);
        a61.intoArray(tile, 6 * stride + LANES);
        a70.intoArray(tile, 7 * stride);
        a71.intoArray(tile, 7 * stride + LANES);
    }

    /** {@link ChannelGemmKernel#tile1x8} reading the layout, as {@link #tile3x8Layout}. */
    static void tile1x8Layout(float[] src, int base, int[] taps, float[] wp, int w0, float[] tile, int stride) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a10 = a00;
        FloatVector a20 = a00;
        FloatVector a30 = a00;
        FloatVector a40 = a00;
        FloatVector a50 = a00;
        FloatVector a60 = a00;
        FloatVector a70 = a00;
        for (int t = 0; t < taps.length; t++) {
            int q = w0 + stride * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            int r = base + taps[t];
            FloatVector x;
            x = FloatVector.broadcast(F, src[r]);
            a00 = w0v.fma(x, a00);
            x = FloatVector.broadcast(F, src[r + 1]);
            a10 = w0v.fma(x, a10);
            x = FloatVector.broadcast(F, src[r + 2]);
            a20 = w0v.fma(x, a20);
            x = FloatVector.broadcast(F, src[r + 3]);
            a30 = w0v.fma(x, a30);
            x = FloatVector.broadcast(F, src[r + 4]);
            a40 = w0v.fma(x, a40);
            x = FloatVector.broadcast(F, src[r + 5]);
            a50 = w0v.fma(x, a50);
            x = FloatVector.broadcast(F, src[r + 6]);
            a60 = w0v.fma(x, a60);
            x = FloatVector.broadcast(F, src[r + 7]);
            a70 = w0v.fma(x, a70);
        }
        a00.intoArray(tile, 0);
        a10.intoArray(tile, stride);
        a20.intoArray(tile, 2 * stride);
        a30.intoArray(tile, 3 * stride);
        a40.intoArray(tile, 4 * stride);
        a50.intoArray(tile, 5 * stride);
        a60.intoArray(tile, 6 * stride);
        a70.intoArray(tile, 7 * stride);
    }

    /** {@link ChannelGemmKernel#tile2x6} reading the layout, as {@link #tile3x8Layout}. */
    static void tile2x6Layout(float[] src, int base, int[] taps, float[] wp, int w0, float[] tile,
                              OutputRun run) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        FloatVector a40 = a00;
        FloatVector a41 = a00;
        FloatVector a50 = a00;
        FloatVector a51 = a00;
        for (int t = 0; t < taps.length; t++) {
            int q = w0 + 2 * LANES * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            FloatVector w1v = FloatVector.fromArray(F, wp, q + LANES);
            int r = base + taps[t];
            FloatVector x;
            x = FloatVector.broadcast(F, src[r]);
            a00 = w0v.fma(x, a00);
            a01 = w1v.fma(x, a01);
            x = FloatVector.broadcast(F, src[r + 1]);
            a10 = w0v.fma(x, a10);
            a11 = w1v.fma(x, a11);
            x = FloatVector.broadcast(F, src[r + 2]);
            a20 = w0v.fma(x, a20);
            a21 = w1v.fma(x, a21);
            x = FloatVector.broadcast(F, src[r + 3]);
            a30 = w0v.fma(x, a30);
            a31 = w1v.fma(x, a31);
            x = FloatVector.broadcast(F, src[r + 4]);
            a40 = w0v.fma(x, a40);
            a41 = w1v.fma(x, a41);
            x = FloatVector.broadcast(F, src[r + 5]);
            a50 = w0v.fma(x, a50);
            a51 = w1v.fma(x, a51);
        }
        a00.intoArray(tile, 0 * LANES);
        a01.intoArray(tile, 1 * LANES);
        a10.intoArray(tile, 2 * LANES);
        a11.intoArray(tile, 3 * LANES);
        a20.intoArray(tile, 4 * LANES);
        a21.intoArray(tile, 5 * LANES);
        a30.intoArray(tile, 6 * LANES);
        a31.intoArray(tile, 7 * LANES);
        a40.intoArray(tile, 8 * LANES);
        a41.intoArray(tile, 9 * LANES);
        a50.intoArray(tile, 10 * LANES);
        a51.intoArray(tile, 11 * LANES);
        if (run != null) {
            run.store(tile);
        }
    }

    /** {@link ChannelGemmKernel#tile1x6} reading the layout, as {@link #tile3x8Layout}. */
    static void tile1x6Layout(float[] src, int base, int[] taps, float[] wp, int w0, float[] tile, int stride) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a10 = a00;
        FloatVector a20 = a00;
        FloatVector a30 = a00;
        FloatVector a40 = a00;
        FloatVector a50 = a00;
        for (int t = 0; t < taps.length; t++) {
            int q = w0 + stride * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            int r = base + taps[t];
            FloatVector x;
            x = FloatVector.broadcast(F, src[r]);
            a00 = w0v.fma(x, a00);
            x = FloatVector.broadcast(F, src[r + 1]);
            a10 = w0v.fma(x, a10);
            x = FloatVector.broadcast(F, src[r + 2]);
            a20 = w0v.fma(x, a20);
            x = FloatVector.broadcast(F, src[r + 3]);
            a30 = w0v.fma(x, a30);
            x = FloatVector.broadcast(F, src[r + 4]);
            a40 = w0v.fma(x, a40);
            x = FloatVector.broadcast(F, src[r + 5]);
            a50 = w0v.fma(x, a50);
        }
        a00.intoArray(tile, 0);
        a10.intoArray(tile, stride);
        a20.intoArray(tile, 2 * stride);
        a30.intoArray(tile, 3 * stride);
        a40.intoArray(tile, 4 * stride);
        a50.intoArray(tile, 5 * stride);
    }

    /**
     * {@link #tile2x6Layout} on the interleaved layout ({@link StemPlan}): pixel {@code i}'s tap {@code t} at
     * {@code src[base + taps[t] + INTERLEAVE * i]}, the six broadcasts of a tap on 192 consecutive bytes that the
     * next seven taps (the block's other channels) read too.
     */
    static void tile2x6Interleaved(float[] src, int base, int[] taps, float[] wp, int w0, float[] tile,
                                   OutputRun run) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        FloatVector a40 = a00;
        FloatVector a41 = a00;
        FloatVector a50 = a00;
        FloatVector a51 = a00;
        for (int t = 0; t < taps.length; t++) {
            int q = w0 + 2 * LANES * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            FloatVector w1v = FloatVector.fromArray(F, wp, q + LANES);
            int r = base + taps[t];
            FloatVector x;
            x = FloatVector.broadcast(F, src[r]);
            a00 = w0v.fma(x, a00);
            a01 = w1v.fma(x, a01);
            x = FloatVector.broadcast(F, src[r + 1 * INTERLEAVE]);
            a10 = w0v.fma(x, a10);
            a11 = w1v.fma(x, a11);
            x = FloatVector.broadcast(F, src[r + 2 * INTERLEAVE]);
            a20 = w0v.fma(x, a20);
            a21 = w1v.fma(x, a21);
            x = FloatVector.broadcast(F, src[r + 3 * INTERLEAVE]);
            a30 = w0v.fma(x, a30);
            a31 = w1v.fma(x, a31);
            x = FloatVector.broadcast(F, src[r + 4 * INTERLEAVE]);
            a40 = w0v.fma(x, a40);
            a41 = w1v.fma(x, a41);
            x = FloatVector.broadcast(F, src[r + 5 * INTERLEAVE]);
            a50 = w0v.fma(x, a50);
            a51 = w1v.fma(x, a51);
        }
        a00.intoArray(tile, 0 * LANES);
        a01.intoArray(tile, 1 * LANES);
        a10.intoArray(tile, 2 * LANES);
        a11.intoArray(tile, 3 * LANES);
        a20.intoArray(tile, 4 * LANES);
        a21.intoArray(tile, 5 * LANES);
        a30.intoArray(tile, 6 * LANES);
        a31.intoArray(tile, 7 * LANES);
        a40.intoArray(tile, 8 * LANES);
        a41.intoArray(tile, 9 * LANES);
        a50.intoArray(tile, 10 * LANES);
        a51.intoArray(tile, 11 * LANES);
        if (run != null) {
            run.store(tile);
        }
    }

    /** {@link #tile1x6Layout} on the interleaved layout. */
    static void tile1x6Interleaved(float[] src, int base, int[] taps, float[] wp, int w0, float[] tile, int stride) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a10 = a00;
        FloatVector a20 = a00;
        FloatVector a30 = a00;
        FloatVector a40 = a00;
        FloatVector a50 = a00;
        for (int t = 0; t < taps.length; t++) {
            int q = w0 + stride * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            int r = base + taps[t];
            FloatVector x;
            x = FloatVector.broadcast(F, src[r]);
            a00 = w0v.fma(x, a00);
            x = FloatVector.broadcast(F, src[r + 1 * INTERLEAVE]);
            a10 = w0v.fma(x, a10);
            x = FloatVector.broadcast(F, src[r + 2 * INTERLEAVE]);
            a20 = w0v.fma(x, a20);
            x = FloatVector.broadcast(F, src[r + 3 * INTERLEAVE]);
            a30 = w0v.fma(x, a30);
            x = FloatVector.broadcast(F, src[r + 4 * INTERLEAVE]);
            a40 = w0v.fma(x, a40);
            x = FloatVector.broadcast(F, src[r + 5 * INTERLEAVE]);
            a50 = w0v.fma(x, a50);
        }
        a00.intoArray(tile, 0);
        a10.intoArray(tile, stride);
        a20.intoArray(tile, 2 * stride);
        a30.intoArray(tile, 3 * stride);
        a40.intoArray(tile, 4 * stride);
        a50.intoArray(tile, 5 * stride);
    }
}
