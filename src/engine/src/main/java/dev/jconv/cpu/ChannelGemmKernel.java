package dev.jconv.cpu;

import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked micro-kernels of {@link ChannelGemmPlan}: a GEMM whose vectors run along output channels,
 * for a tile of {@code P} output pixels and {@code V} vectors of output channels,
 * <pre>
 *   tile[i][v * LANES + l] = sum over taps t of  panel[p0 + P * t + i] * wp[w0 + V * LANES * t + v * LANES + l]
 * </pre>
 * where {@code panel} holds the tile's im2col values ({@code P} pixels per tap, contiguous) and {@code wp} the
 * block's weights ({@code V * LANES} channels per tap, contiguous). Per tap: {@code V} vector loads, {@code P}
 * broadcasts, {@code V * P} FMAs, one index per stream ({@link #tile2x6} on the stream indices themselves).
 *
 * <p>Why it exists: {@link GemmKernel} runs its vectors along output pixels, which wastes most lanes when an image
 * has few of them (7x7 = 49 pixels: one 48-column tile and a 1-lane remainder) and runs out of columns to share
 * between threads; with the channels in the lanes every layer of a deep network has full vectors.
 *
 * <p>Two register shapes: {@code 3 x 8} (24 accumulators, 3 weight vectors and a broadcast: 28 of AVX-512's 32
 * vector registers) for 16-lane vectors, and {@code 2 x 6} (12 + 2 + 1 = 15 of AVX2's 16) for narrower ones, where
 * {@code 3 x 8} would spill accumulators inside the tap loop. The {@value #TILE_PROPERTY} system property forces
 * either (tests run all shapes on any machine). A block's last channels, when fewer than a tile's, run on the first
 * one or two of its vectors ({@code 2 x 8}, {@code 1 x 8}, {@code 1 x 6}). Loops are unrolled by hand: C2 keeps
 * vector accumulators in registers only as locals.
 *
 * <p>{@code 3 x 7} (21 accumulators) is {@code 3 x 8} for 7x7 images, which {@link #forColumns} gives it: 49 pixels
 * are 7 tiles of 7, against 7 tiles of 8 whose last holds one pixel and seven of padding, an eighth of the
 * multiply-adds wasted. Per tap it loads 10 values for 21 multiply-adds against 11 for 24, and on 14x14 (196
 * pixels, 2% padding with 8) it measured 5-10% slower than {@code 3 x 8}, so it is taken only where {@code 3 x 8}
 * pads noticeably more ({@link #SEVEN_PIXEL_COST}). Measured on a 2-core AMD EPYC with AVX-512, one JVM, the
 * plans alternating ({@code PlanVariantsBenchmark}), time with {@code 3 x 7} over {@code 3 x 8}, 1 / 2 threads:
 * ResNet-50's 1x1 512->2048 on 7x7 0.92 / 0.95, 2048->512 0.92 / 0.89, 3x3 512 stride 2 on 14x14 0.94 / 0.93,
 * 1x1 1024->2048 stride 2 0.98 / 0.95.
 */
final class ChannelGemmKernel {
    static final VectorSpecies<Float> F = GemmKernel.F;
    static final int LANES = GemmKernel.LANES;
    static final String TILE_PROPERTY = "jconv.cpu.channelTile";

    /** Vectors of output channels per register tile. */
    final int vectors;
    /** Output pixels per register tile. */
    final int pixels;

    private ChannelGemmKernel(int vectors, int pixels) {
        this.vectors = vectors;
        this.pixels = pixels;
    }

    static final ChannelGemmKernel WIDE = new ChannelGemmKernel(3, 8);
    static final ChannelGemmKernel WIDE7 = new ChannelGemmKernel(3, 7);
    static final ChannelGemmKernel NARROW = new ChannelGemmKernel(2, 6);
    /** Every shape, for tests. */
    static final List<ChannelGemmKernel> SHAPES = List.of(WIDE, WIDE7, NARROW);
    /**
     * A {@code 3 x 7} tile's cost over a {@code 3 x 8} one's per pixel, in percent, for {@link #forColumns}: it loads
     * more per multiply-add (see above).
     */
    static final int SEVEN_PIXEL_COST = 108;

    /** The shape for this machine, or the one {@value #TILE_PROPERTY} forces ({@code 3x8} or {@code 2x6}). */
    static ChannelGemmKernel forMachine() {
        String forced = System.getProperty(TILE_PROPERTY, LANES >= 16 ? "3x8" : "2x6").trim();
        return switch (forced) {
            case "3x8" -> WIDE;
            case "2x6" -> NARROW;
            default -> throw new IllegalArgumentException("system property " + TILE_PROPERTY
                    + " must be 3x8 or 2x6, got '" + forced + "'");
        };
    }

    /**
     * {@link #forMachine()}'s shape for a GEMM of {@code columns} pixels: {@code 3 x 7} instead of {@code 3 x 8} where
     * tiles of 7 cover the columns with less padding by more than its cost per pixel ({@link #SEVEN_PIXEL_COST}):
     * 49 pixels (7x7), not 98, 147 or 196.
     */
    static ChannelGemmKernel forColumns(int columns) {
        ChannelGemmKernel shape = forMachine();
        long eights = 8L * FlatLayout.ceilDiv(columns, 8);
        long sevens = 7L * FlatLayout.ceilDiv(columns, 7);
        return shape == WIDE && 100 * eights > SEVEN_PIXEL_COST * sevens ? WIDE7 : shape;
    }

    /** Output channels per tile: {@code vectors * LANES}. */
    int channels() {
        return vectors * LANES;
    }

    /** Floats of a finished tile: {@code pixels} rows of {@link #channels()}. */
    int tileLength() {
        return pixels * channels();
    }

    /** E.g. {@code "48 channels x 8 pixels"}. */
    String describe() {
        return channels() + " channels x " + pixels + " pixels";
    }

    /** Runs this shape's kernel over {@code taps} taps into {@code tile} ({@link #tileLength()} floats). */
    void run(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile) {
        run(panel, p0, wp, w0, taps, tile, null);
    }

    /**
     * {@link #run}, the {@link #NARROW} tile then also stored by the kernel to {@code run} where that is not null
     * ({@link OutputRun} says why); null for the other shapes.
     */
    void run(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile, OutputRun run) {
        if (this == WIDE) {
            tile3x8(panel, p0, wp, w0, taps, tile);
        } else if (this == WIDE7) {
            tile3x7(panel, p0, wp, w0, taps, tile);
        } else {
            tile2x6(panel, p0, wp, w0, taps, tile, run);
        }
    }

    /**
     * Whether a block's first {@code channels} need all of this shape's vectors ({@link #run}), else {@link #runPart}.
     */
    boolean fills(int channels) {
        return channels > (vectors - 1) * LANES;
    }

    /**
     * {@link #run} for a block's first {@code channels} where they need fewer vectors than the shape has (a group's
     * last block, e.g. 256 = 5 * 48 + 16): only those vectors run, reading the same packed weights (a row of
     * {@link #channels()} per tap) and writing the same tile rows, so the zeros past the last channel are not
     * multiplied. A 48-channel kernel on such a block computed an eighth more than needed on 256-channel layers (6
     * blocks for 5.33), a fifth more on 160-channel ones. Kept apart from {@link #run}, which stays the only kernel
     * in its callers' hot loops: with the narrower kernels behind a switch in the same method, the full tile ran at
     * 57-71 instead of 100 GFLOP/s in three of five processes of a kernel-alone harness at AVX2's width.
     */
    void runPart(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile, int channels) {
        int stride = vectors * LANES;
        if (this == NARROW) {
            tile1x6(panel, p0, wp, w0, taps, tile, stride);
        } else if (this == WIDE7) {
            if (channels > LANES) {
                tile2x7(panel, p0, wp, w0, taps, tile, stride);
            } else {
                tile1x7(panel, p0, wp, w0, taps, tile, stride);
            }
        } else if (channels > LANES) {
            tile2x8(panel, p0, wp, w0, taps, tile, stride);
        } else {
            tile1x8(panel, p0, wp, w0, taps, tile, stride);
        }
    }

    static void tile3x8(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile) {
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
        for (int t = 0; t < taps; t++) {
            int q = w0 + 3 * LANES * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            FloatVector w1v = FloatVector.fromArray(F, wp, q + LANES);
            FloatVector w2v = FloatVector.fromArray(F, wp, q + 2 * LANES);
            int r = p0 + 8 * t;
            FloatVector x;
            x = FloatVector.broadcast(F, panel[r]);
            a00 = w0v.fma(x, a00);
            a01 = w1v.fma(x, a01);
            a02 = w2v.fma(x, a02);
            x = FloatVector.broadcast(F, panel[r + 1]);
            a10 = w0v.fma(x, a10);
            a11 = w1v.fma(x, a11);
            a12 = w2v.fma(x, a12);
            x = FloatVector.broadcast(F, panel[r + 2]);
            a20 = w0v.fma(x, a20);
            a21 = w1v.fma(x, a21);
            a22 = w2v.fma(x, a22);
            x = FloatVector.broadcast(F, panel[r + 3]);
            a30 = w0v.fma(x, a30);
            a31 = w1v.fma(x, a31);
            a32 = w2v.fma(x, a32);
            x = FloatVector.broadcast(F, panel[r + 4]);
            a40 = w0v.fma(x, a40);
            a41 = w1v.fma(x, a41);
            a42 = w2v.fma(x, a42);
            x = FloatVector.broadcast(F, panel[r + 5]);
            a50 = w0v.fma(x, a50);
            a51 = w1v.fma(x, a51);
            a52 = w2v.fma(x, a52);
            x = FloatVector.broadcast(F, panel[r + 6]);
            a60 = w0v.fma(x, a60);
            a61 = w1v.fma(x, a61);
            a62 = w2v.fma(x, a62);
            x = FloatVector.broadcast(F, panel[r + 7]);
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

    /**
     * The AVX2 tile. Its loop runs on the two stream indices themselves ({@code r += 6, q += 16}) rather than on the
     * tap ({@code r = p0 + 6 * t, q = w0 + 16 * t}): C2 then drops the panel's bounds checks and the index arithmetic
     * it rebuilt from {@code t} on every tap (about 29 instructions per tap instead of 35-39 for the 12 FMAs, read from
     * {@code -XX:+PrintAssembly}), which matters most in the host's slow phases (most likely another tenant on the
     * core's other hardware thread, sharing its issue slots). Measured on a 2-core AMD EPYC (Zen 3, AVX2), the kernel
     * alone on 256 L1-resident taps, both forms alternating in one JVM, 600 rounds: 85.7 against 73.7 GFLOP/s (median)
     * in the host's fast phases, 51.5 against 45.0 in its slow ones; whole layers ({@code
     * benchmarks/ab/two_builds_ab.sh}, one thread, two runs): ResNet-50's 1x1 2048->512 on 7x7 0.84-0.86x the time,
     * 256->1024 on 14x14 0.88-0.93x, Winograd 3x3 256 on 14x14 0.90-0.92x and 512 on 7x7 0.91-0.95x, 3x3 stride 2 256
     * on 28x28 0.90-0.95x, 1024->256 0.92 and 1.10x. The 512-bit tiles keep the tap loop: not measured on such a
     * machine yet. (The same change in the stem kernels, whose input is read through a tap-offset table, made them
     * 11-20% slower: there the tap stays the loop index.)
     */
    static void tile2x6(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile, OutputRun run) {
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
        for (int r = p0, q = w0, end = p0 + 6 * taps; r < end; r += 6, q += 2 * LANES) {
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            FloatVector w1v = FloatVector.fromArray(F, wp, q + LANES);
            FloatVector x;
            x = FloatVector.broadcast(F, panel[r]);
            a00 = w0v.fma(x, a00);
            a01 = w1v.fma(x, a01);
            x = FloatVector.broadcast(F, panel[r + 1]);
            a10 = w0v.fma(x, a10);
            a11 = w1v.fma(x, a11);
            x = FloatVector.broadcast(F, panel[r + 2]);
            a20 = w0v.fma(x, a20);
            a21 = w1v.fma(x, a21);
            x = FloatVector.broadcast(F, panel[r + 3]);
            a30 = w0v.fma(x, a30);
            a31 = w1v.fma(x, a31);
            x = FloatVector.broadcast(F, panel[r + 4]);
            a40 = w0v.fma(x, a40);
            a41 = w1v.fma(x, a41);
            x = FloatVector.broadcast(F, panel[r + 5]);
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

    /**
     * The first two vectors of {@link #tile3x8}'s block: weights {@code wp[w0 + stride * t ..]}, tile rows of
     * {@code stride} floats (the third vector of each left as it was).
     */
    static void tile2x8(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile, int stride) {
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
        for (int t = 0; t < taps; t++) {
            int q = w0 + stride * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            FloatVector w1v = FloatVector.fromArray(F, wp, q + LANES);
            int r = p0 + 8 * t;
            FloatVector x;
            x = FloatVector.broadcast(F, panel[r]);
            a00 = w0v.fma(x, a00);
            a01 = w1v.fma(x, a01);
            x = FloatVector.broadcast(F, panel[r + 1]);
            a10 = w0v.fma(x, a10);
            a11 = w1v.fma(x, a11);
            x = FloatVector.broadcast(F, panel[r + 2]);
            a20 = w0v.fma(x, a20);
            a21 = w1v.fma(x, a21);
            x = FloatVector.broadcast(F, panel[r + 3]);
            a30 = w0v.fma(x, a30);
            a31 = w1v.fma(x, a31);
            x = FloatVector.broadcast(F, panel[r + 4]);
            a40 = w0v.fma(x, a40);
            a41 = w1v.fma(x, a41);
            x = FloatVector.broadcast(F, panel[r + 5]);
            a50 = w0v.fma(x, a50);
            a51 = w1v.fma(x, a51);
            x = FloatVector.broadcast(F, panel[r + 6]);
            a60 = w0v.fma(x, a60);
            a61 = w1v.fma(x, a61);
            x = FloatVector.broadcast(F, panel[r + 7]);
            a70 = w0v.fma(x, a70);
            a71 = w1v.fma(x, a71);
        }
        a00.intoArray(tile, 0);
        a01.intoArray(tile, LANES);
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

    /** The first vector of {@link #tile3x8}'s block, as {@link #tile2x8}. */
    static void tile1x8(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
        for (int t = 0; t < taps; t++) {
            FloatVector w = FloatVector.fromArray(F, wp, w0 + stride * t);
            int r = p0 + 8 * t;
            a0 = w.fma(FloatVector.broadcast(F, panel[r]), a0);
            a1 = w.fma(FloatVector.broadcast(F, panel[r + 1]), a1);
            a2 = w.fma(FloatVector.broadcast(F, panel[r + 2]), a2);
            a3 = w.fma(FloatVector.broadcast(F, panel[r + 3]), a3);
            a4 = w.fma(FloatVector.broadcast(F, panel[r + 4]), a4);
            a5 = w.fma(FloatVector.broadcast(F, panel[r + 5]), a5);
            a6 = w.fma(FloatVector.broadcast(F, panel[r + 6]), a6);
            a7 = w.fma(FloatVector.broadcast(F, panel[r + 7]), a7);
        }
        a0.intoArray(tile, 0);
        a1.intoArray(tile, stride);
        a2.intoArray(tile, 2 * stride);
        a3.intoArray(tile, 3 * stride);
        a4.intoArray(tile, 4 * stride);
        a5.intoArray(tile, 5 * stride);
        a6.intoArray(tile, 6 * stride);
        a7.intoArray(tile, 7 * stride);
    }

    /** The first vector of {@link #tile2x6}'s block, as {@link #tile2x8}. */
    static void tile1x6(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        for (int r = p0, q = w0, end = p0 + 6 * taps; r < end; r += 6, q += stride) {
            FloatVector w = FloatVector.fromArray(F, wp, q);
            a0 = w.fma(FloatVector.broadcast(F, panel[r]), a0);
            a1 = w.fma(FloatVector.broadcast(F, panel[r + 1]), a1);
            a2 = w.fma(FloatVector.broadcast(F, panel[r + 2]), a2);
            a3 = w.fma(FloatVector.broadcast(F, panel[r + 3]), a3);
            a4 = w.fma(FloatVector.broadcast(F, panel[r + 4]), a4);
            a5 = w.fma(FloatVector.broadcast(F, panel[r + 5]), a5);
        }
        a0.intoArray(tile, 0);
        a1.intoArray(tile, stride);
        a2.intoArray(tile, 2 * stride);
        a3.intoArray(tile, 3 * stride);
        a4.intoArray(tile, 4 * stride);
        a5.intoArray(tile, 5 * stride);
    }

    /** {@link #tile3x8} for 7 pixels. */
    static void tile3x7(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile) {
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
        for (int t = 0; t < taps; t++) {
            int q = w0 + 3 * LANES * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            FloatVector w1v = FloatVector.fromArray(F, wp, q + LANES);
            FloatVector w2v = FloatVector.fromArray(F, wp, q + 2 * LANES);
            int r = p0 + 7 * t;
            FloatVector x;
            x = FloatVector.broadcast(F, panel[r]);
            a00 = w0v.fma(x, a00);
            a01 = w1v.fma(x, a01);
            a02 = w2v.fma(x, a02);
            x = FloatVector.broadcast(F, panel[r + 1]);
            a10 = w0v.fma(x, a10);
            a11 = w1v.fma(x, a11);
            a12 = w2v.fma(x, a12);
            x = FloatVector.broadcast(F, panel[r + 2]);
            a20 = w0v.fma(x, a20);
            a21 = w1v.fma(x, a21);
            a22 = w2v.fma(x, a22);
            x = FloatVector.broadcast(F, panel[r + 3]);
            a30 = w0v.fma(x, a30);
            a31 = w1v.fma(x, a31);
            a32 = w2v.fma(x, a32);
            x = FloatVector.broadcast(F, panel[r + 4]);
            a40 = w0v.fma(x, a40);
            a41 = w1v.fma(x, a41);
            a42 = w2v.fma(x, a42);
            x = FloatVector.broadcast(F, panel[r + 5]);
            a50 = w0v.fma(x, a50);
            a51 = w1v.fma(x, a51);
            a52 = w2v.fma(x, a52);
            x = FloatVector.broadcast(F, panel[r + 6]);
            a60 = w0v.fma(x, a60);
            a61 = w1v.fma(x, a61);
            a62 = w2v.fma(x, a62);
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
    }

    /** {@link #tile2x8} for 7 pixels. */
    static void tile2x7(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile, int stride) {
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
        for (int t = 0; t < taps; t++) {
            int q = w0 + stride * t;
            FloatVector w0v = FloatVector.fromArray(F, wp, q);
            FloatVector w1v = FloatVector.fromArray(F, wp, q + LANES);
            int r = p0 + 7 * t;
            FloatVector x;
            x = FloatVector.broadcast(F, panel[r]);
            a00 = w0v.fma(x, a00);
            a01 = w1v.fma(x, a01);
            x = FloatVector.broadcast(F, panel[r + 1]);
            a10 = w0v.fma(x, a10);
            a11 = w1v.fma(x, a11);
            x = FloatVector.broadcast(F, panel[r + 2]);
            a20 = w0v.fma(x, a20);
            a21 = w1v.fma(x, a21);
            x = FloatVector.broadcast(F, panel[r + 3]);
            a30 = w0v.fma(x, a30);
            a31 = w1v.fma(x, a31);
            x = FloatVector.broadcast(F, panel[r + 4]);
            a40 = w0v.fma(x, a40);
            a41 = w1v.fma(x, a41);
            x = FloatVector.broadcast(F, panel[r + 5]);
            a50 = w0v.fma(x, a50);
            a51 = w1v.fma(x, a51);
            x = FloatVector.broadcast(F, panel[r + 6]);
            a60 = w0v.fma(x, a60);
            a61 = w1v.fma(x, a61);
        }
        a00.intoArray(tile, 0);
        a01.intoArray(tile, LANES);
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
    }

    /** {@link #tile1x8} for 7 pixels. */
    static void tile1x7(float[] panel, int p0, float[] wp, int w0, int taps, float[] tile, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        for (int t = 0; t < taps; t++) {
            FloatVector w = FloatVector.fromArray(F, wp, w0 + stride * t);
            int r = p0 + 7 * t;
            a0 = w.fma(FloatVector.broadcast(F, panel[r]), a0);
            a1 = w.fma(FloatVector.broadcast(F, panel[r + 1]), a1);
            a2 = w.fma(FloatVector.broadcast(F, panel[r + 2]), a2);
            a3 = w.fma(FloatVector.broadcast(F, panel[r + 3]), a3);
            a4 = w.fma(FloatVector.broadcast(F, panel[r + 4]), a4);
            a5 = w.fma(FloatVector.broadcast(F, panel[r + 5]), a5);
            a6 = w.fma(FloatVector.broadcast(F, panel[r + 6]), a6);
        }
        a0.intoArray(tile, 0);
        a1.intoArray(tile, stride);
        a2.intoArray(tile, 2 * stride);
        a3.intoArray(tile, 3 * stride);
        a4.intoArray(tile, 4 * stride);
        a5.intoArray(tile, 5 * stride);
        a6.intoArray(tile, 6 * stride);
    }
}
