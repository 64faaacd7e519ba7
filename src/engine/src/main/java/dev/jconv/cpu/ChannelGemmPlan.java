package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;
import java.util.Arrays;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution as a GEMM per group with the vectors along output channels:
 * {@code out^T[pixels x K/G] = cols[pixels x (C/G)RS] * w^T[(C/G)RS x K/G]}, where {@code cols} is the im2col matrix
 * of the output pixels of the whole batch. The transpose of {@link ImplicitGemmPlan}'s GEMM, for layers whose images
 * have few output pixels and many channels (the 14x14 and 7x7 stages of ResNet, strided 1x1 and 3x3 layers):
 * there a pixel-vectorized tile wastes lanes on row ends and ragged remainders and leaves too few columns to share
 * between threads, while every such layer has channels to fill whole vectors.
 *
 * <p>Steps of a call: (1) the input's padded, stride-phase-split copy ({@link FlatLayout}; none for a 1x1 stride-1
 * unpadded layer); (2) the im2col panels, per group and tile of {@code P} pixels the {@code (C/G)RS} taps times
 * {@code P} values, pixels past the last one zero; (3) per block of {@code V * LANES} output channels (weights packed
 * as {@code [tap][channel]}, zero past the group's last channel, once per weight version, {@link WeightCache}) and
 * per tile, the register-blocked {@link ChannelGemmKernel}, whose finished tile is written to the NCHW output with
 * the bias (and ReLU) added. Tasks take runs of channel blocks first (each task reads its blocks' weights once, from
 * L2, for all its tiles), then runs of tiles when there are too few blocks for the threads.
 */
final class ChannelGemmPlan extends CpuPlan {
    /** Largest im2col panel (floats) {@link #eligible} accepts: 64 MB, it is made per call. */
    static final long MAX_PANEL = 16L << 20;

    private final ChannelGemmKernel kernel;
    private final FlatLayout layout;
    private final PostOp postOp;
    private final int pixels;
    private final int columns;
    private final int tiles;
    private final int taps;
    private final int cpg;
    private final int kpg;
    private final int blocksPerGroup;
    private final BlockTileTasks tasks;
    private final int panelPerGroup;
    /** Per im2col column (image, output pixel): where tap 0 of channel 0 reads in the layout copy. */
    private final int[] sourceAt;
    /** Per im2col column: the output index of channel 0. */
    private final int[] outputAt;
    /** The bias of a call without one. */
    private final float[] zeroBias;
    /**
     * Tile {@code i}'s runs of pixels contiguous in the source are {@code [firstRun[i], firstRun[i + 1])}, run
     * {@code r} starting at panel lane {@code runLane[r]} and source index {@code runSource[r]} (tap 0, group 0);
     * none for a tile {@link #gather} copies element by element.
     */
    private final int[] firstRun;
    /** Taps {@link #gather} copies by vectors in a tile with runs: all but the last {@code ceil(LANES / P)}. */
    private final int copiedTaps;
    private final int[] runLane;
    private final int[] runSource;
    private final WeightCache<float[][]> packed;
    private final ScratchPool layoutCopies;
    private final ScratchPool panels;
    private final ScratchPool tileScratch;

    /** Not depthwise (its own plans), and the per-call panel and copy fit in bounds. */
    static boolean eligible(ConvGeometry g) {
        return !g.isDepthwise() && panelLength(g) <= MAX_PANEL
                && (long) g.batch() * FlatLayout.copyLength(g) <= Integer.MAX_VALUE - 16;
    }

    /** Output pixels per image up to which {@link #suits} picks this plan. */
    static final int MAX_PIXELS = 256;
    /**
     * Output channels per group from which {@link #suits} picks this plan: two full 48-channel blocks. At 64 the
     * blocks compute 96 channels, a third of them wasted, and the pixel-vectorized GEMM measured 1.25-1.9x faster
     * (MobileNetV2's 1x1 192->64 and 384->64 on 14x14, 192->64 on 28x28; 2 threads, one JVM, alternating); the
     * 32-channel tile of narrow vectors got 1.12-1.2x of the 48-channel one there, not enough.
     */
    static final int MIN_CHANNELS = 96;
    /**
     * Output channels per group from which {@link #suits} picks this plan: {@link #MIN_CHANNELS}, and for 1x1 layers
     * two full blocks of this machine's tile, which where vectors are narrow (16-channel blocks) is 32. Measured on a
     * 2-core AMD EPYC (Zen 3) with AVX2 only, one JVM, the plans alternating ({@code PlanVariantsBenchmark}), speed
     * of this plan over the pixel-vectorized GEMM at one / two threads (two runs where two numbers): MobileNetV2's
     * 1x1 384->64 on 14x14 1.61-1.58 / 1.49-1.70, 192->64 1.32-1.36 / 1.25-0.88, 384->32 1.23 / 1.25, 256->48
     * 1.19-1.31 / 0.78-1.23, 256->64 on 16x16 1.12 / 1.20, 96->32 0.94 / 1.15; but 3x3 layers with 64 output
     * channels 0.89 / 0.90 (on 14x14) and 0.83 / 0.75 (stride 2 onto 7x7), so those keep {@link #MIN_CHANNELS}.
     */
    static int minChannels(ConvGeometry g) {
        boolean pointwise = g.kernelH() == 1 && g.kernelW() == 1;
        return pointwise ? Math.min(MIN_CHANNELS, 2 * ChannelGemmKernel.forMachine().channels()) : MIN_CHANNELS;
    }

    /** Panel size (floats, 16 MB) up to which {@link #suits} picks this plan: beyond it the panel leaves the L3. */
    static final long SUITED_PANEL = 4L << 20;

    /**
     * Where it measured faster than {@link ImplicitGemmPlan} (2-core AMD EPYC with AVX-512, 2 threads, ResNet-50's
     * layers at batch 1, {@code jconv bench} with {@value CpuBackend#CHANNEL_GEMM_PROPERTY} always against never,
     * ms): on 7x7 outputs 1x1 512->2048 0.91 / 2.36, 2048->512 1.25 / 2.19, 3x3 512 2.46 / 4.50; on 14x14 1x1
     * 1024->512 1.49 / 2.61, 256->1024 0.92 / 1.26, strided 3x3 512 (14x14 out of 28x28) 2.91 / 4.94, strided 1x1
     * 1024->2048 2.37 / 4.53; but on 28x28 1x1 512->256 1.80 / 1.27 and 512->128 1.03 / 0.74, on 56x56 1x1 256->128
     * 4.52 / 1.26 (the pixel-vectorized tiles are full there, and the im2col panel costs a copy of the input per
     * call). So: at most {@value #MAX_PIXELS} output pixels per image, at least {@value #MIN_CHANNELS} output
     * channels per group, and a panel that stays in the L3 cache.
     */
    static boolean suits(ConvGeometry g) {
        return eligible(g) && g.outChannelsPerGroup() >= minChannels(g)
                && (long) g.outHeight() * g.outWidth() <= MAX_PIXELS && panelLength(g) <= SUITED_PANEL;
    }

    private static long panelLength(ConvGeometry g) {
        long columns = (long) g.batch() * g.outHeight() * g.outWidth();
        return (columns + ChannelGemmKernel.WIDE.pixels) * g.inChannels() * g.kernelH() * g.kernelW();
    }

    ChannelGemmPlan(ConvGeometry g, WorkerPool pool, PostOp postOp) {
        this(g, pool, postOp, ChannelGemmKernel.forColumns(g.batch() * g.outHeight() * g.outWidth()));
    }

    ChannelGemmPlan(ConvGeometry g, WorkerPool pool, PostOp postOp, ChannelGemmKernel kernel) {
        super(g, pool);
        this.kernel = kernel;
        this.postOp = postOp;
        this.layout = new FlatLayout(g);
        pixels = g.outHeight() * g.outWidth();
        columns = g.batch() * pixels;
        tiles = FlatLayout.ceilDiv(columns, kernel.pixels);
        cpg = g.inChannelsPerGroup();
        kpg = g.outChannelsPerGroup();
        taps = layout.tapOffset.length;
        blocksPerGroup = FlatLayout.ceilDiv(kpg, kernel.channels());
        panelPerGroup = tiles * taps * kernel.pixels;
        sourceAt = new int[columns];
        outputAt = new int[columns];
        zeroBias = new float[g.outChannels()];
        for (int n = 0, q = 0; n < g.batch(); n++) {
            for (int oy = 0; oy < g.outHeight(); oy++) {
                for (int ox = 0; ox < g.outWidth(); ox++, q++) {
                    sourceAt[q] = n * layout.imageStride + oy * layout.rowWidth + ox;
                    outputAt[q] = n * g.outChannels() * pixels + oy * g.outWidth() + ox;
                }
            }
        }
        copiedTaps = taps - FlatLayout.ceilDiv(COPY_LANES, kernel.pixels);
        firstRun = new int[tiles + 1];
        int[][] runs = copyRuns(g);
        runLane = runs[0];
        runSource = runs[1];
        tasks = new BlockTileTasks(g.groups(), blocksPerGroup, tiles, pool.threads());
        packed = WeightCache.ofBlocks(this::pack);
        layoutCopies = new ScratchPool(pool.threads());
        panels = new ScratchPool(pool.threads());
        tileScratch = new ScratchPool(pool.threads());
    }

    private float[][] pack(float[] w) {
        return packBlocks(w, g, kernel.channels(), blocksPerGroup, pool);
    }

    /**
     * Block {@code group * blocksPerGroup + block} of the result is {@code wp[t * width + j]}: channel
     * {@code block * width + j} of the group at tap {@code t}, zero past the group's last channel. Blocks are packed
     * in parallel (a new weight version's first call would otherwise spend more on this scalar transpose than on the
     * convolution), each into an array of its own allocated by the thread that fills it: one array for all of them
     * was fresh memory to fault in ({@link WeightCache}), 9.4 MB for 512x512x3x3.
     */
    static float[][] packBlocks(float[] w, ConvGeometry g, int width, int blocksPerGroup, WorkerPool pool) {
        int kpg = g.outChannelsPerGroup();
        int taps = g.inChannelsPerGroup() * g.kernelH() * g.kernelW();
        int blocks = g.groups() * blocksPerGroup;
        float[][] wp = new float[blocks][];
        pool.forEach(blocks, b -> {
            float[] block = new float[taps * width];
            int group = b / blocksPerGroup;
            int first = (b % blocksPerGroup) * width;
            for (int k = first, last = Math.min(kpg, first + width); k < last; k++) {
                int dst = k - first;
                for (int t = 0, src = (group * kpg + k) * taps; t < taps; t++, src++, dst += width) {
                    block[dst] = w[src];
                }
            }
            wp[b] = block;
        });
        return wp;
    }

    @Override
    void compute(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        float[] src = layout.direct ? input : layoutCopies.take(g.batch() * layout.imageStride + FlatLayout.SLACK);
        float[] panel = panels.take(g.groups() * panelPerGroup);
        try {
            if (!layout.direct) {
                int planes = g.batch() * g.inChannels();
                pool.forEach(planes, p -> layout.fill(input, p / g.inChannels(), p % g.inChannels(), src,
                        p * layout.channelStride));
            }
            pool.forEach(g.groups() * tiles, task -> gather(src, task / tiles, task % tiles, panel));
            packed.forEachTask(weight, weightVersion, pool, tasks.count(),
                    (task, wp) -> multiply(task, panel, wp, bias, output));
        } finally {
            if (!layout.direct) {
                layoutCopies.give(src);
            }
            panels.give(panel);
        }
    }

    /**
     * Fills {@link #firstRun} and returns {@code {runLane, runSource}}: the runs of every tile whose {@code P} pixels
     * are all valid and that {@link #gather} may copy a whole vector at a time from each run's start, for the first
     * {@link #copiedTaps} taps: those reads stay inside the source ({@code src.length} is at least the layout's
     * images, plus {@link FlatLayout#SLACK} in a layout copy), and a copy's lanes past its run land on this tap's
     * later runs or the next taps' values, which are written after it (the last taps are copied element by element,
     * so no lane lands in the next tile, which another thread may be filling).
     */
    private int[][] copyRuns(ConvGeometry g) {
        int p = kernel.pixels;
        long length = (long) g.batch() * layout.imageStride + (layout.direct ? 0 : FlatLayout.SLACK);
        long reach = (long) (g.groups() - 1) * cpg * layout.channelStride
                + Arrays.stream(layout.tapOffset, 0, Math.max(0, copiedTaps)).max().orElse(0) + COPY_LANES;
        int[] lanes = new int[tiles * p];
        int[] sources = new int[tiles * p];
        int count = 0;
        for (int tile = 0; tile < tiles; tile++) {
            firstRun[tile] = count;
            int col0 = tile * p;
            boolean copies = p <= COPY_LANES && copiedTaps > 0 && col0 + p <= columns;
            int start = count;
            for (int i = 0; copies && i < p; i++) {
                int source = sourceAt[col0 + i];
                if (i == 0 || source != sourceAt[col0 + i - 1] + 1) {
                    copies = source + reach <= length;
                    lanes[count] = i;
                    sources[count++] = source;
                }
            }
            if (!copies) {
                count = start;
            }
        }
        firstRun[tiles] = count;
        return new int[][] {Arrays.copyOf(lanes, count), Arrays.copyOf(sources, count)};
    }

    /**
     * The vectors {@link #gather} copies with: the machine's widest, as the kernels use. A 256-bit species (a tile's
     * 8 pixels exactly) ran the layers 10x slower on JDK 17 with AVX-512 (2-core AMD EPYC): C2 did not compile
     * those copies to vector instructions.
     */
    private static final VectorSpecies<Float> COPY = GemmKernel.F;
    private static final int COPY_LANES = COPY.length();

    /**
     * Tile {@code tile}'s panel of group {@code group}: {@code P} values per tap, zero past the last column. A tile
     * with runs ({@link #copyRuns}) takes one vector copy per run and tap, every other element by element: layers
     * measured 3-12% faster than with every element copied by itself (2-core AMD EPYC with AVX-512, 2 threads,
     * ResNet-50's channel-GEMM layers; 1024->256 1x1 on 14x14 0.68 -> 0.61 ms, 256x256 3x3 stride 2 on 28x28 1.81 ->
     * 1.59).
     */
    private void gather(float[] src, int group, int tile, float[] panel) {
        int p = kernel.pixels;
        int col0 = tile * p;
        int groupOffset = group * cpg * layout.channelStride;
        int[] tapOffset = layout.tapOffset;
        int dst = group * panelPerGroup + tile * taps * p;
        int t = 0;
        int r0 = firstRun[tile];
        int r1 = firstRun[tile + 1];
        if (r1 - r0 == 1) {
            for (int from = runSource[r0] + groupOffset; t < copiedTaps; t++, dst += p) {
                FloatVector.fromArray(COPY, src, from + tapOffset[t]).intoArray(panel, dst);
            }
        } else if (r1 > r0) {
            for (; t < copiedTaps; t++, dst += p) {
                int offset = groupOffset + tapOffset[t];
                for (int r = r0; r < r1; r++) {
                    FloatVector.fromArray(COPY, src, runSource[r] + offset).intoArray(panel, dst + runLane[r]);
                }
            }
        }
        int valid = Math.min(p, columns - col0);
        for (; t < taps; t++, dst += p) {
            int offset = groupOffset + tapOffset[t];
            for (int i = 0; i < valid; i++) {
                panel[dst + i] = src[sourceAt[col0 + i] + offset];
            }
            for (int i = valid; i < p; i++) {
                panel[dst + i] = 0f;
            }
        }
    }

    private void multiply(int task, float[] panel, float[][] wp, float[] bias, float[] out) {
        int group = tasks.group(task);
        int firstBlock = tasks.firstBlock(task);
        int lastBlock = tasks.lastBlock(task);
        int firstTile = tasks.firstTile(task);
        int lastTile = tasks.lastTile(task);
        int width = kernel.channels();
        float[] b = bias == null ? zeroBias : bias;
        OutputRun run = kernel == ChannelGemmKernel.NARROW ? new OutputRun(out, pixels, b, postOp == PostOp.RELU)
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
                    int p0 = group * panelPerGroup + t * taps * kernel.pixels;
                    int col0 = t * kernel.pixels;
                    boolean consecutive = run != null && consecutive(col0);
                    if (consecutive) {
                        run.at = outputAt[col0] + k0 * pixels;
                        run.k0 = k0;
                        run.channels = channels;
                    }
                    if (full) {
                        kernel.run(panel, p0, weights, 0, taps, tile, consecutive ? run : null);
                    } else {
                        kernel.runPart(panel, p0, weights, 0, taps, tile, channels);
                        if (consecutive) {
                            run.store(tile);
                        }
                    }
                    if (!consecutive) {
                        store(tile, col0, k0, channels, b, out);
                    }
                }
            }
        } finally {
            tileScratch.give(tile);
        }
    }

    /** Whether the 6-pixel tile from column {@code col0} covers six consecutive outputs ({@link OutputRun}). */
    private boolean consecutive(int col0) {
        return col0 + 6 <= columns && outputAt[col0 + 5] == outputAt[col0] + 5;
    }

    /**
     * Writes a finished tile's valid pixels and channels to the NCHW output, plus bias, then the post-op, where the
     * kernel did not ({@link OutputRun}: the 16 x 6 tiles of six consecutive outputs): pixel by
     * pixel, a run along the tile's row to every {@link #pixels}-th output ({@link #storePixel}): one load, add and
     * store per value, against a channel-by-channel loop that looked the pixel's output index up and chose the post-op
     * per value. These stores are a transpose that vectors do not help with on JDK 17 (a 16x8 block needs lane
     * shuffles and 256-bit or masked stores, which C2 compiles poorly with AVX-512), and they cost 11-18% of a layer
     * with 256 taps (measured by leaving them out). Measured on a 2-core AMD EPYC with AVX-512, both builds in one JVM
     * ({@code benchmarks/ab/two_builds_ab.sh}), 2 threads, time over the loop it replaced: 256->1024 1x1 on 14x14
     * 0.88-0.91, 512->1024 stride 2 0.93, 512->2048 on 7x7 0.95, 1024->512 0.97, 1024->256 0.97-0.98, 3x3 stride 2
     * 0.97-0.99; at AVX2's width 0.91-1.02.
     *
     * <p>The {@link ChannelGemmKernel#NARROW} tiles of six consecutive outputs (all but an image's last) go channel by
     * channel instead ({@link OutputRun#store}): the tile's row width a constant, C2 reads a channel's six values at
     * constant offsets from one index and checks the output's bounds twice per channel, about 33 instructions per six
     * values against 45 with the row width a parameter and more per pixel (read in {@code -XX:+PrintAssembly}).
     * Measured on a 2-core AMD EPYC (Zen 3, AVX2 only), both builds in one JVM ({@code
     * benchmarks/ab/two_builds_ab.sh}, 30 rounds), one thread, time over pixel by pixel: 1x1 1024->256 on 14x14
     * 0.92, 256->1024 0.94, 512->2048 on 7x7 0.97; {@link StemPlan}'s 7x7 stem 0.92 and 3x3 stride 2 128 on 56x56
     * 0.98 (its stores were a fifth of the stem, JFR).
     */
    private void store(float[] tile, int col0, int k0, int channels, float[] b, float[] out) {
        int width = kernel.channels();
        int valid = Math.min(kernel.pixels, columns - col0);
        if (postOp == PostOp.RELU) {
            for (int i = 0; i < valid; i++) {
                storePixelRelu(tile, i * width, b, k0, channels, out, outputAt[col0 + i] + k0 * pixels, pixels);
            }
        } else {
            for (int i = 0; i < valid; i++) {
                storePixel(tile, i * width, b, k0, channels, out, outputAt[col0 + i] + k0 * pixels, pixels);
            }
        }
    }

    /**
     * One pixel's {@code channels} values from {@code tile[from ..]}, plus bias, to every {@code pixels}-th float
     * from {@code out[at]} on.
     */
    static void storePixel(float[] tile, int from, float[] bias, int k0, int channels, float[] out, int at,
                           int pixels) {
        for (int c = 0; c < channels; c++, at += pixels) {
            out[at] = tile[from + c] + bias[k0 + c];
        }
    }

    /** {@link #storePixel} with ReLU. */
    static void storePixelRelu(float[] tile, int from, float[] bias, int k0, int channels, float[] out, int at,
                               int pixels) {
        for (int c = 0; c < channels; c++, at += pixels) {
            out[at] = Math.max(tile[from + c] + bias[k0 + c], 0f);
        }
    }

    @Override
    public String describe() {
        String input = layout.describeSource("the input");
        return String.format(Locale.ROOT, "channel-vectorized GEMM on im2col panels of %s (%d pixels x %d taps x %d"
                        + " channels per group), register tiles of %s, weights packed once per weight version, %s",
                input, columns, taps, kpg, kernel.describe(), threadCount())
                + (postOp == PostOp.RELU ? ", ReLU fused into the output stores" : "");
    }

    /** Idle copies, panels and tiles, the packed weights with their snapshot, the index tables. */
    @Override
    public long retainedBytes() {
        return layoutCopies.idleBytes() + panels.idleBytes() + tileScratch.idleBytes() + packed.bytes()
                + layout.tableBytes() + (long) Integer.BYTES * (sourceAt.length + outputAt.length);
    }

    @Override
    public void close() {
        super.close();
        layoutCopies.clear();
        panels.clear();
        tileScratch.clear();
        packed.clear();
    }
}
