package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;
import java.util.Arrays;
import java.util.Locale;

/**
 * Layers with few input channels per group, the stems of image networks (ResNet's 3->64 7x7 stride 2 on 224x224),
 * and, where vectors are narrow, strided layers ({@link #suits}), as a GEMM with the vectors along output channels
 * that reads the input's padded, stride-phase-split copy ({@link FlatLayout}) in place:
 * <pre>
 *   out[n][k][f] = sum over taps t of  layout[n][f + tapOffset[t]] * w[k][t]      (f: flat output position)
 * </pre>
 * in register tiles of {@code P} consecutive flat positions and {@code V * LANES} output channels
 * ({@link StemKernel}, the shapes of {@link ChannelGemmKernel}); a finished tile is written to the NCHW output,
 * plus bias (and ReLU), skipping the flat positions that are no output pixel (the layout's row ends).
 *
 * <p>Why: {@link ImplicitGemmPlan}'s vectors run along flat positions and broadcast a weight per channel; where
 * vectors are 256 bits its register tile is 4 channels x 2 vectors (8 accumulators within AVX2's 16 registers:
 * just the FMAs in flight that two 4-cycle FMA pipes need, no slack; two input vectors and four broadcasts per
 * eight FMAs). With the channels in the lanes the tile is 16 channels x 6 positions (12 accumulators, two weight
 * vectors and six broadcasts per twelve FMAs), as oneDNN's direct kernels for such layers block theirs. A stem's
 * taps lie in a few input rows, so the broadcasts hit L1, and unlike {@link ChannelGemmPlan} nothing is gathered:
 * an im2col panel of a stem (147 taps per output pixel) is 7.4 MB per call, which made the channel GEMM slower than
 * the pixel-vectorized one there.
 */
final class StemPlan extends CpuPlan {
    /** Input channels per group up to which {@link #suits} picks this plan. */
    static final int MAX_INPUT_CHANNELS = 4;
    /**
     * Taps per output pixel ({@code C/G * R * S}) from which {@link #suits} picks this plan: with fewer the scalar
     * stores of a finished tile weigh more against its FMAs (MobileNetV2's 3->32 3x3 stride 2, 27 taps, measured
     * 0.90x the implicit GEMM's time at one thread and 1.11x at two).
     */
    static final int MIN_TAPS = 48;
    /** Taps per group ({@code C/G * R * S}) from which {@link #interleaves}. */
    static final int INTERLEAVE_MIN_TAPS = 2048;
    /** Input and output channels per group from which {@link #interleaves} with fewer taps. */
    static final int INTERLEAVE_MIN_CHANNELS = 128;

    private final ChannelGemmKernel kernel;
    private final FlatLayout layout;
    private final PostOp postOp;
    private final int plane;
    private final int tilesPerImage;
    private final int tiles;
    private final int kpg;
    private final int blocksPerGroup;
    private final BlockTileTasks tasks;
    /** Per flat position of an image, its output pixel ({@code oy * outWidth + ox}), or -1 past a row's end. */
    private final int[] outputAt;
    /** The bias of a call without one. */
    private final float[] zeroBias;
    private final WeightCache<float[][]> packed;
    private final ScratchPool layoutCopies;
    private final ScratchPool tileScratch;
    /** One tile's im2col values, for a tile whose reads would run past the source ({@link #edgeTile}). */
    private final ScratchPool edgePanels;
    /** A tile whose first flat position is at {@code base} reads up to {@code src[base + reads - 1]}. */
    private final int reads;
    /**
     * Whether the tiles read the interleaved layout: the layout's planes with each {@link StemKernel#INTERLEAVE}
     * channels interleaved, {@code [n][c / 8][position][c % 8]}, at {@link #interleavedTaps}.
     */
    private final boolean interleaved;
    /** Per tap, its offset in the interleaved layout. */
    private final int[] interleavedTaps;
    /** Floats of the interleaved copy: the layout's, and every tile's reads inside it (no {@link #edgeTile}). */
    private final int interleavedLength;
    private final ScratchPool channelGroups;

    /** Not depthwise (its own plans), and the layout copy of the whole batch fits one array. */
    static boolean eligible(ConvGeometry g) {
        return !g.isDepthwise() && (long) g.batch() * FlatLayout.copyLength(g) <= Integer.MAX_VALUE - 16;
    }

    /**
     * Where vectors are narrower than 512 bits ({@link GemmKernel#NARROW_TILE}) and a layer has at least {@value
     * #MIN_TAPS} taps per group: stems, at most {@value #MAX_INPUT_CHANNELS} input channels per group; and strided
     * layers with a kernel larger than 1x1 whose groups fill whole channel tiles, except where {@link ChannelGemmPlan}
     * suits. Measured on a 2-core AMD EPYC, both builds in one JVM ({@code benchmarks/ab/two_builds_ab.sh}), time
     * over {@link ImplicitGemmPlan}'s: at AVX2's width ({@code -XX:UseAVX=2}) the 7x7 stem 0.69 at one thread and
     * 0.83 at two, 3->64 5x5 stride 2 0.95, 1->32 7x7 on 28x28 0.74; at 512 bits the stem 1.29 (64 channels are a
     * 48-channel tile and a 16-channel one, against the implicit GEMM's full 8x3 tiles), so there it stays on the
     * implicit GEMM. Strided layers, same machine at AVX2's width, 60 rounds, time over the implicit GEMM's at one /
     * two threads: ResNet-50's 128-channel 3x3 stride 2 on 56x56 0.97 / 0.96, 64 channels 0.93 / 0.85, 32->64 3x3
     * stride 2 on 112x112 0.94 / 0.89, 16->64 on 28x28 0.65 / 0.75, 64->128 5x5 stride 2 0.86 / 0.87, 4 groups of
     * 16 channels 1.01 / 1.00 (an unchanged layer in the same runs: 0.91 / 1.03, the noise). Left out, one run each
     * ({@code PlanVariantsBenchmark}, speed over the current choice): 1x1 stride 2 (256->512 on 56x56 0.81, the
     * tile's stores weigh more with few taps per input row), groups of 4 or 8 output channels (0.45-0.79, a 16-channel
     * tile wastes lanes), stride-1 5x5 and 7x7 with 32-64 channels (0.91 and 1.25: no clear rule).
     */
    static boolean suits(ConvGeometry g) {
        int taps = g.inChannelsPerGroup() * g.kernelH() * g.kernelW();
        boolean stem = g.inChannelsPerGroup() <= MAX_INPUT_CHANNELS;
        boolean strided = (g.strideH() > 1 || g.strideW() > 1) && g.kernelH() * g.kernelW() > 1
                && g.outChannelsPerGroup() % ChannelGemmKernel.NARROW.channels() == 0 && !ChannelGemmPlan.suits(g);
        return eligible(g) && GemmKernel.NARROW_TILE && taps >= MIN_TAPS && (stem || strided);
    }

    StemPlan(ConvGeometry g, WorkerPool pool, PostOp postOp) {
        this(g, pool, postOp, ChannelGemmKernel.forMachine());
    }

    StemPlan(ConvGeometry g, WorkerPool pool, PostOp postOp, ChannelGemmKernel kernel) {
        this(g, pool, postOp, kernel, interleaves(g, kernel));
    }

    /**
     * With the interleaved copy where {@code interleave} asks for it and the layer allows it (the narrow tile, whole
     * groups of {@value StemKernel#INTERLEAVE} input channels, a copied layout); tests and benchmarks run both.
     */
    StemPlan(ConvGeometry g, WorkerPool pool, PostOp postOp, ChannelGemmKernel kernel, boolean interleave) {
        super(g, pool);
        this.kernel = kernel;
        this.postOp = postOp;
        this.layout = new FlatLayout(g);
        plane = g.outHeight() * g.outWidth();
        kpg = g.outChannelsPerGroup();
        tilesPerImage = FlatLayout.ceilDiv(layout.flatLength, kernel.pixels);
        tiles = g.batch() * tilesPerImage;
        blocksPerGroup = FlatLayout.ceilDiv(kpg, kernel.channels());
        outputAt = new int[tilesPerImage * kernel.pixels];
        for (int f = 0; f < outputAt.length; f++) {
            int oy = f / layout.rowWidth;
            int ox = f % layout.rowWidth;
            outputAt[f] = f < layout.flatLength && ox < g.outWidth() ? oy * g.outWidth() + ox : -1;
        }
        zeroBias = new float[g.outChannels()];
        tasks = new BlockTileTasks(g.groups(), blocksPerGroup, tiles, pool.threads());
        packed = WeightCache.ofBlocks(w -> ChannelGemmPlan.packBlocks(w, g, kernel.channels(), blocksPerGroup, pool));
        layoutCopies = new ScratchPool(pool.threads());
        tileScratch = new ScratchPool(pool.threads());
        edgePanels = new ScratchPool(pool.threads());
        reads = Arrays.stream(layout.tapOffset).max().orElse(0) + kernel.pixels;
        boolean candidate = interleave && !layout.direct && kernel == ChannelGemmKernel.NARROW
                && g.inChannelsPerGroup() % StemKernel.INTERLEAVE == 0;
        int[] interleavedAt = new int[candidate ? layout.tapOffset.length : 0];
        int tapsPerChannel = g.kernelH() * g.kernelW();
        for (int t = 0; t < interleavedAt.length; t++) {
            int c = t / tapsPerChannel;
            int inPlane = layout.tapOffset[t] - c * layout.channelStride;
            interleavedAt[t] = (c - c % StemKernel.INTERLEAVE) * layout.channelStride
                    + inPlane * StemKernel.INTERLEAVE + c % StemKernel.INTERLEAVE;
        }
        long lastRead = (long) (g.batch() - 1) * layout.imageStride
                + (long) (g.groups() - 1) * g.inChannelsPerGroup() * layout.channelStride
                + Arrays.stream(interleavedAt).max().orElse(0)
                + (long) StemKernel.INTERLEAVE * (tilesPerImage * kernel.pixels - 1);
        long copyLength = Math.max(lastRead + 1, (long) g.batch() * layout.imageStride);
        interleaved = candidate && copyLength <= Integer.MAX_VALUE - 16;
        interleavedTaps = interleaved ? interleavedAt : new int[0];
        interleavedLength = interleaved ? (int) copyLength : 0;
        channelGroups = new ScratchPool(pool.threads());
    }

    /**
     * Whether this plan reads an interleaved copy ({@link #interleaved}): on the 16 x 6 tile, for layers whose
     * groups have whole multiples of 8 input channels and either at least {@value #INTERLEAVE_MIN_TAPS} taps or at
     * least {@value #INTERLEAVE_MIN_CHANNELS} channels in and out. Why: on the planar layout a tap's six broadcasts
     * use 24 bytes of a cache line and the next tap's lie a channel plane away, so a tile touches a line per tap, and
     * with thousands of taps they no longer stay in L1 from one tile to the next; interleaved, eight taps (a channel
     * group) share their lines. The copy's transposition costs per input element what the tiles save per output
     * channel block, so the gain needs both. Measured on a 2-core AMD EPYC (Zen 3, AVX2 only), time interleaved over
     * planar, one JVM: both builds alternating ({@code benchmarks/ab/two_builds_ab.sh}, 30-40 rounds, one thread),
     * 3x3 stride 2 256 on 56x56 (2,304 taps) 0.72, and with the channel rule added, ResNet-50's 128-channel 3x3
     * stride 2 on 56x56 (1,152 taps) 0.99-1.02 at one thread and 0.94-1.02 at two (three runs each, 20-40 rounds);
     * the two plans alternating ({@code PlanVariantsBenchmark}, one / two threads, two or three runs): that layer
     * 0.93-0.96 / 0.92-0.96, 64->128 7x7 stride 2 (3,136 taps) 0.95 / 0.96, 128 5x5 stride 2 on 28x28 0.92 / 0.89; but
     * 128->64 3x3 stride 2 1.03 / 1.05, 96->128 0.98-0.99 / 0.99-1.05, 64->128 5x5 stride 2 (1,600 taps) 1.00-1.03
     * / 0.99-1.06 (an earlier run 1.11 at one thread), 32->64 3x3 stride 2 on 112x112 1.08-1.10, 16->64 on 28x28
     * 1.17, where the planar layout's lines stay cached and the copy costs more than it saves. The kernel alone over
     * the 128-channel layer's tiles (one thread) ran at 36 GFLOP/s planar and 78-85 interleaved; the 7x7 stem (3
     * channels, its taps in a few rows) at 85-92 either way.
     */
    static boolean interleaves(ConvGeometry g, ChannelGemmKernel kernel) {
        int cpg = g.inChannelsPerGroup();
        boolean wide = cpg >= INTERLEAVE_MIN_CHANNELS && g.outChannelsPerGroup() >= INTERLEAVE_MIN_CHANNELS;
        return kernel == ChannelGemmKernel.NARROW && cpg % StemKernel.INTERLEAVE == 0
                && (wide || cpg * g.kernelH() * g.kernelW() >= INTERLEAVE_MIN_TAPS);
    }

    @Override
    void compute(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        if (interleaved) {
            float[] copy = layoutCopies.take(interleavedLength);
            try {
                int channelGroupsPerImage = g.inChannels() / StemKernel.INTERLEAVE;
                pool.forEach(g.batch() * channelGroupsPerImage, p -> interleave(input, p / channelGroupsPerImage,
                        p % channelGroupsPerImage * StemKernel.INTERLEAVE, copy));
                packed.forEachTask(weight, weightVersion, pool, tasks.count(),
                        (task, wp) -> multiply(task, copy, wp, bias, output));
            } finally {
                layoutCopies.give(copy);
            }
            return;
        }
        float[] src = layout.direct ? input : layoutCopies.take(g.batch() * layout.imageStride + FlatLayout.SLACK);
        try {
            if (!layout.direct) {
                int planes = g.batch() * g.inChannels();
                pool.forEach(planes, p -> layout.fill(input, p / g.inChannels(), p % g.inChannels(), src,
                        p * layout.channelStride));
            }
            packed.forEachTask(weight, weightVersion, pool, tasks.count(),
                    (task, wp) -> multiply(task, src, wp, bias, output));
        } finally {
            if (!layout.direct) {
                layoutCopies.give(src);
            }
        }
    }

    /**
     * Image {@code n}'s channels {@code [c0, c0 + 8)} into the interleaved copy: each channel's layout planes filled
     * into a scratch array ({@link FlatLayout#fill}), then position by position, the 8 channels side by side.
     */
    private void interleave(float[] input, int n, int c0, float[] copy) {
        int stride = layout.channelStride;
        float[] planes = channelGroups.take(StemKernel.INTERLEAVE * stride);
        try {
            for (int j = 0; j < StemKernel.INTERLEAVE; j++) {
                layout.fill(input, n, c0 + j, planes, j * stride);
            }
            int at = n * layout.imageStride + c0 * stride;
            for (int p = 0; p < stride; p++, at += StemKernel.INTERLEAVE) {
                copy[at] = planes[p];
                copy[at + 1] = planes[stride + p];
                copy[at + 2] = planes[2 * stride + p];
                copy[at + 3] = planes[3 * stride + p];
                copy[at + 4] = planes[4 * stride + p];
                copy[at + 5] = planes[5 * stride + p];
                copy[at + 6] = planes[6 * stride + p];
                copy[at + 7] = planes[7 * stride + p];
            }
        } finally {
            channelGroups.give(planes);
        }
    }

    private void multiply(int task, float[] src, float[][] wp, float[] bias, float[] out) {
        int group = tasks.group(task);
        int firstBlock = tasks.firstBlock(task);
        int lastBlock = tasks.lastBlock(task);
        int firstTile = tasks.firstTile(task);
        int lastTile = tasks.lastTile(task);
        int width = kernel.channels();
        int[] taps = layout.tapOffset;
        int groupOffset = group * g.inChannelsPerGroup() * layout.channelStride;
        float[] b = bias == null ? zeroBias : bias;
        OutputRun run = kernel == ChannelGemmKernel.NARROW ? new OutputRun(out, plane, b, postOp == PostOp.RELU)
                : null;
        float[] tile = tileScratch.take(kernel.tileLength());
        try {
            for (int block = firstBlock; block < lastBlock; block++) {
                if (WorkerPool.stopRequested()) {
                    return; // cancelled
                }
                float[] weights = wp[group * blocksPerGroup + block];
                int k0 = group * kpg + block * width;
                int channels = Math.min(width, kpg - block * width);
                boolean full = kernel.fills(channels);
                for (int t = firstTile; t < lastTile; t++) {
                    int n = t / tilesPerImage;
                    int f0 = (t - n * tilesPerImage) * kernel.pixels;
                    int base = n * layout.imageStride + groupOffset + f0;
                    int at = (n * g.outChannels() + k0) * plane;
                    int o0 = outputAt[f0];
                    // the six pixels are six consecutive outputs: the kernel stores them (OutputRun)
                    boolean consecutive = run != null && o0 >= 0 && outputAt[f0 + 5] == o0 + 5;
                    if (consecutive) {
                        run.at = at + o0;
                        run.k0 = k0;
                        run.channels = channels;
                    }
                    OutputRun kernelRun = consecutive && full ? run : null;
                    if (interleaved) {
                        int i0 = base + (StemKernel.INTERLEAVE - 1) * f0;
                        if (full) {
                            StemKernel.tile2x6Interleaved(src, i0, interleavedTaps, weights, 0, tile, kernelRun);
                        } else {
                            StemKernel.tile1x6Interleaved(src, i0, interleavedTaps, weights, 0, tile, width);
                        }
                    } else if (base + reads > src.length) {
                        edgeTile(src, base, weights, tile, channels);
                        kernelRun = null;
                    } else if (full) {
                        StemKernel.run(kernel, src, base, taps, weights, 0, tile, kernelRun);
                    } else {
                        StemKernel.runPart(kernel, src, base, taps, weights, 0, tile, channels);
                    }
                    if (consecutive && kernelRun == null) {
                        run.store(tile);
                    } else if (!consecutive) {
                        store(tile, f0, at, k0, channels, b, out);
                    }
                }
            }
        } finally {
            tileScratch.give(tile);
        }
    }

    /**
     * A tile whose reads would run past the end of the source (the last tile of the input itself, when the layout is
     * direct): its values gathered into a panel, zero past the end, for {@link ChannelGemmKernel}'s panel kernels.
     */
    private void edgeTile(float[] src, int base, float[] weights, float[] tile, int channels) {
        int p = kernel.pixels;
        int[] taps = layout.tapOffset;
        float[] panel = edgePanels.take(taps.length * p);
        try {
            for (int t = 0; t < taps.length; t++) {
                for (int i = 0; i < p; i++) {
                    int at = base + taps[t] + i;
                    panel[t * p + i] = at < src.length ? src[at] : 0f;
                }
            }
            if (kernel.fills(channels)) {
                kernel.run(panel, 0, weights, 0, taps.length, tile);
            } else {
                kernel.runPart(panel, 0, weights, 0, taps.length, tile, channels);
            }
        } finally {
            edgePanels.give(panel);
        }
    }

    /**
     * A finished tile's output pixels (flat positions past a row's end skipped), plus bias, then the post-op, where
     * neither the kernel nor {@link OutputRun} stored them (a tile across a row's end, or of the wide shape).
     */
    private void store(float[] tile, int f0, int at, int k0, int channels, float[] b, float[] out) {
        int width = kernel.channels();
        for (int i = 0; i < kernel.pixels; i++) {
            int o = outputAt[f0 + i];
            if (o < 0) {
                continue;
            }
            if (postOp == PostOp.RELU) {
                ChannelGemmPlan.storePixelRelu(tile, i * width, b, k0, channels, out, at + o, plane);
            } else {
                ChannelGemmPlan.storePixel(tile, i * width, b, k0, channels, out, at + o, plane);
            }
        }
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "channel-vectorized GEMM reading %s (%d flat positions x %d taps x"
                        + " %d channels per image and group; row width %d for %d outputs, %.1f%% of positions"
                        + " discarded), register tiles of %s, weights packed once per weight version, %s",
                layout.describeSource("the input") + (interleaved ? ", its channels interleaved in 8s," : " in place"),
                layout.flatLength, layout.tapOffset.length, kpg,
                layout.rowWidth, g.outWidth(), 100 * layout.wastedFraction(), kernel.describe(), threadCount())
                + (postOp == PostOp.RELU ? ", ReLU fused into the output stores" : "");
    }

    /** Idle copies and tiles, the packed weights with their snapshot, the index tables. */
    @Override
    public long retainedBytes() {
        return layoutCopies.idleBytes() + tileScratch.idleBytes() + edgePanels.idleBytes() + channelGroups.idleBytes()
                + packed.bytes() + layout.tableBytes()
                + (long) Integer.BYTES * (outputAt.length + interleavedTaps.length);
    }

    @Override
    public void close() {
        super.close();
        layoutCopies.clear();
        tileScratch.clear();
        edgePanels.clear();
        channelGroups.clear();
        packed.clear();
    }
}
