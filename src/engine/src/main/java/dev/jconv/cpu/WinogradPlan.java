package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import java.util.Arrays;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;

/**
 * A 3x3, stride-1, undilated convolution by Winograd's F(4x4, 3x3) ({@link WinogradTransforms} has the math): per
 * pass of images, (1) every 6x6 input tile (4x4 outputs, overlapping by 2) of every channel is transformed into
 * 36 values, {@code V[xi][c][tile]}; (2) 36 GEMMs per group, {@code M[xi][k][tile] = sum_c U[xi][k][c] *
 * V[xi][c][tile]}, on the {@code cpu} backend's register-blocked kernel ({@link GemmKernel}, the channels as its
 * taps, the tiles as its flat columns), or, when a pass has too few tiles to fill its register tile, on
 * {@link ChannelGemmKernel} (vectors along output channels, tiles as its pixels); (3) every {@code M} tile is
 * transformed back into 4x4 outputs plus bias.
 * The filters' transform {@code U} is made once per weight version ({@link WeightCache}).
 *
 * <p>Tiles are numbered {@code (image in pass, tile row, tile column)} so one GEMM spans every tile of the pass
 * (small maps still fill whole register tiles). The transforms run on vectors of adjacent tile columns: each
 * task copies the six padded input rows of a tile row into the four column phases ({@code x mod 4}; the
 * padding mode resolved through precomputed source indices), which makes every tile element one vector load.
 * A vector past the last tile column writes into the next tile row's positions, which the same task rewrites
 * next (tasks own whole channels, tile rows in order); {@code V} and {@code M} rows end with a vector of slack.
 * On small maps, whose tile rows would fill a fraction of a vector, the transforms run on vectors of tiles in pass
 * order instead, each tile's elements gathered and its outputs stored one by one ({@link #gathered}).
 *
 * <p>Worth it (measured, see {@link #suits}) when both channel counts are large enough for the GEMMs to
 * dominate the transforms, and the call has enough tiles to reuse the transformed filters.
 */
final class WinogradPlan extends CpuPlan {
    private static final int LANES = GemmKernel.LANES;
    private static final int XI = WinogradTransforms.T * WinogradTransforms.T;
    /** Bytes of {@code V} and {@code M} one pass of images may fill. */
    private static final long PASS_BYTES = 8L << 20;
    /** Channels per group, in and out, from which {@link #suits} picks Winograd. */
    static final int MIN_CHANNELS = 64;
    /** Tiles per call from which {@link #suits} picks Winograd. */
    static final int MIN_TILES = 16;
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 16;

    private final int tileRows;
    private final int tileCols;
    private final int tilesPerImage;
    /** Floats per column phase of a padded row: the tile columns plus one, rounded up to whole vectors. */
    private final int phaseStride;
    private final int imagesPerPass;
    /** Floats per channel row of {@code V} and {@code M}: the pass's tiles rounded up to vectors, plus slack. */
    private final int rowStride;
    private final int cpg;
    private final int kpg;
    /**
     * The GEMMs' kernel when a pass has too few tiles to fill {@link GemmKernel}'s register tile along them (see
     * {@link #CHANNEL_KERNEL_TILES}): {@link ChannelGemmKernel}, vectors along output channels; else null.
     */
    private final ChannelGemmKernel channelKernel;
    /** Output channels per block of {@code U}: {@link GemmKernel#ROWS}, or the channel kernel's channels. */
    private final int blockWidth;
    private final int blocksPerGroup;
    /** Channel blocks per array of {@code U} (see {@link #transformFilters}), and arrays per {@code xi}. */
    private final int blocksPerArray;
    private final int arraysPerXi;
    /**
     * Whether the transforms run on vectors of {@code LANES} tiles in pass order, their elements gathered from the
     * input and scattered to the output one by one, instead of on vectors of one tile row's columns: on maps of at
     * most {@value #MAX_GATHERED_COLUMNS} tile columns that fill at most half a vector.
     */
    private final boolean gathered;
    /**
     * Tile columns up to which the transforms gather ({@link #gathered}). Measured (2-core AMD EPYC with AVX-512,
     * both builds in one JVM, alternating, 2 threads): on 14x14 (4 of 16 lanes) 256 channels 1.67 -> 1.23 ms, 512
     * 5.34 -> 4.29, 256 at batch 4 4.94 -> 3.79 (1 thread: 0.70-0.78x); at AVX2's width (4 of 8 lanes) 0.80-0.84x;
     * but on 28x28 (7 of 16 lanes) 128 channels 1.05x at 2 threads, 0.98x at 1.
     */
    static final int MAX_GATHERED_COLUMNS = 4;
    private final int[] channelTaps;
    private final int[] rowSource;
    private final int[] colSource;
    private final VectorStores stores;
    private final WeightCache<float[][]> filters;
    /** {@code V} and {@code M}, at most one idle per thread once a burst of concurrent calls ends. */
    private final ScratchPool transformed;
    private final ScratchPool products;

    /** 3x3, stride 1, undilated, not depthwise: what F(4x4, 3x3) computes, if its buffers fit Java arrays. */
    static boolean eligible(ConvGeometry g) {
        if (g.kernelH() != 3 || g.kernelW() != 3 || g.strideH() != 1 || g.strideW() != 1 || g.dilationH() != 1
                || g.dilationW() != 1 || g.isDepthwise()) {
            return false;
        }
        long tiles = (long) ceilDiv(g.outHeight(), 4) * ceilDiv(g.outWidth(), 4);
        long row = tiles + 2L * LANES;
        return XI * Math.max(g.inChannels(), g.outChannels()) * row <= MAX_ARRAY;
    }

    /**
     * Whether Winograd beats the implicit GEMM, as measured (2-core AMD EPYC, AVX-512, 2 threads, in-process
     * interleaved A/B, fastest of 400 calls, implicit GEMM against Winograd in ms): 64 channels on 56x56 1.66 / 1.37
     * (one thread 2.28 / 1.37), 256 on 14x14 3.03 / 2.30, 512 on 7x7 at batch 4 11.8 / 7.9; but 32 channels on
     * 28x28 0.19 / 0.25, 16 on 56x56 0.19 / 0.24, 32 to 64 on 14x14 0.13 / 0.28 (the transforms cost per channel
     * what the GEMM saves per channel pair), and 512 on 7x7 at batch 1 2.2 / 7.7, batch 2 6.9 / 8.4 (4 and 8 tiles
     * per call: the transformed filters, 4x the weights, 38 MB at 512x512, are read for too few tiles; batch 4, 16
     * tiles, is the win above). So: at least {@value #MIN_CHANNELS} channels per group in and out and
     * {@value #MIN_TILES} tiles per call.
     */
    static boolean suits(ConvGeometry g) {
        long tiles = (long) g.batch() * ceilDiv(g.outHeight(), 4) * ceilDiv(g.outWidth(), 4);
        return eligible(g) && g.inChannelsPerGroup() >= MIN_CHANNELS && g.outChannelsPerGroup() >= MIN_CHANNELS
                && tiles >= MIN_TILES;
    }

    /**
     * Tiles per pass below which the GEMMs run on {@link ChannelGemmKernel}: {@link GemmKernel}'s register tile
     * spans 48 tiles at 16 lanes (16 at 8), and with fewer it runs vector by vector, one load and eight broadcasts
     * per eight FMAs. Measured (2-core AMD EPYC with AVX-512, 2 threads, both builds in one JVM, alternating): 256
     * channels on 14x14 (16 tiles) 1.39 -> 1.22 and 1.64 -> 1.33 ms on the channel kernel; but with 49 tiles (128
     * channels on 28x28) it was 1.06x slower and with 196 (64 on 56x56) 1.66x.
     */
    static final int CHANNEL_KERNEL_TILES = 48;

    /** Images per pass: as many as fill {@link #PASS_BYTES} of {@code V} and {@code M}, at least one. */
    private static int imagesPerPass(ConvGeometry g) {
        long bytesPerImage = (long) XI * (g.inChannels() + g.outChannels()) * tiles(g) * Float.BYTES;
        return (int) Math.max(1, Math.min(g.batch(), PASS_BYTES / bytesPerImage));
    }

    private static int tiles(ConvGeometry g) {
        return ceilDiv(g.outHeight(), 4) * ceilDiv(g.outWidth(), 4);
    }

    /** Tiles per pass of images: the columns of the GEMMs. */
    private static int passTiles(ConvGeometry g) {
        return imagesPerPass(g) * tiles(g);
    }

    WinogradPlan(ConvGeometry g, WorkerPool pool) {
        this(g, pool, passTiles(g) < CHANNEL_KERNEL_TILES ? ChannelGemmKernel.forMachine() : null);
    }

    /** With the GEMMs on {@code channelKernel}, or on {@link GemmKernel} where it is null (tests run both). */
    WinogradPlan(ConvGeometry g, WorkerPool pool, ChannelGemmKernel channelKernel) {
        super(g, pool);
        this.channelKernel = channelKernel;
        transformed = new ScratchPool(pool.threads());
        products = new ScratchPool(pool.threads());
        tileRows = ceilDiv(g.outHeight(), 4);
        tileCols = ceilDiv(g.outWidth(), 4);
        tilesPerImage = tileRows * tileCols;
        cpg = g.inChannelsPerGroup();
        kpg = g.outChannelsPerGroup();
        blockWidth = channelKernel == null ? GemmKernel.ROWS : channelKernel.channels();
        blocksPerGroup = ceilDiv(kpg, blockWidth);
        blocksPerArray = Math.max(1, WeightCache.PIECE / (cpg * blockWidth));
        arraysPerXi = ceilDiv(g.groups() * blocksPerGroup, blocksPerArray);
        imagesPerPass = imagesPerPass(g);
        // slack: a vector, and at least a tile of the channel kernel past the last column
        rowStride = roundUp(imagesPerPass * tilesPerImage, LANES) + roundUp(Math.max(LANES, 8), LANES);
        channelTaps = new int[cpg];
        for (int c = 0; c < cpg; c++) {
            channelTaps[c] = c * rowStride;
        }
        int paddedH = g.inHeight() + g.padTop() + g.padBottom();
        int paddedW = g.inWidth() + g.padLeft() + g.padRight();
        rowSource = new int[4 * tileRows + 2];
        for (int y = 0; y < rowSource.length; y++) {
            rowSource[y] = y < paddedH ? g.paddingMode().sourceIndex(y - g.padTop(), g.inHeight()) : -1;
        }
        phaseStride = roundUp(tileCols + 1, LANES);
        colSource = new int[4 * phaseStride];
        for (int x = 0; x < colSource.length; x++) {
            colSource[x] = x < paddedW ? g.paddingMode().sourceIndex(x - g.padLeft(), g.inWidth()) : -1;
        }
        stores = VectorStores.contiguous(rowStride / LANES);
        gathered = tileCols <= Math.min(MAX_GATHERED_COLUMNS, LANES / 2);
        filters = WeightCache.ofBlocks(this::transformFilters);
    }

    @Override
    void compute(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        WeightCache.Candidate<float[][]> candidate = filters.candidate(weight, weightVersion);
        float[][] u = candidate != null ? candidate.transformed() : filters.get(weight, weightVersion, pool);
        float[] v = transformed.take(XI * g.inChannels() * rowStride);
        float[] m = products.take(XI * g.outChannels() * rowStride);
        try {
            run(input, weight, u, candidate, bias, output, v, m);
        } finally {
            // also when interrupted or failed: the next call reuses them
            transformed.give(v);
            products.give(m);
        }
    }

    /**
     * The passes; with a {@code candidate} version of the weights ({@link WeightCache#candidate}), the first pass's
     * GEMM tasks also compare the weights, and where they differ that pass's GEMMs run again on the weights'
     * own transform.
     */
    private void run(float[] input, float[] weight, float[][] u, WeightCache.Candidate<float[][]> candidate,
                     float[] bias, float[] output, float[] v, float[] m) {
        float[][] filtersUsed = u;
        WeightCache.Candidate<float[][]> unconfirmed = candidate;
        for (int n0 = 0; n0 < g.batch(); n0 += imagesPerPass) {
            int first = n0;
            int images = Math.min(imagesPerPass, g.batch() - n0);
            int columns = images * tilesPerImage;
            if (gathered) {
                pool.forEach(g.inChannels(), c -> gatherInputs(input, first, columns, c, v));
            } else {
                pool.forEach(g.inChannels(), c -> transformInputs(input, first, images, c, v));
            }
            multiplyAll(columns, v, filtersUsed, m, unconfirmed);
            if (unconfirmed != null) {
                if (!filters.confirmed(unconfirmed)) { // changed in place where the samples did not look
                    filtersUsed = filters.get(weight, unconfirmed.weightVersion(), pool);
                    multiplyAll(columns, v, filtersUsed, m, null);
                }
                unconfirmed = null;
            }
            if (gathered) {
                pool.forEach(g.outChannels(), k -> scatterOutputs(m, first, columns, k, bias, output));
            } else {
                pool.forEach(images * g.outChannels(), task -> transformOutputs(m, first, task / g.outChannels(),
                        task % g.outChannels(), bias, output));
            }
        }
    }

    /** Step 2 for a pass: every GEMM, each task also comparing its part of {@code candidate}'s weights if any. */
    private void multiplyAll(int columns, float[] v, float[][] u, float[] m,
                             WeightCache.Candidate<float[][]> candidate) {
        int tasks = XI * g.groups();
        if (candidate == null && channelKernel == null) {
            pool.forEach(tasks, task -> multiply(task, columns, v, u, m));
        } else if (candidate == null) {
            pool.forEach(tasks, task -> multiplyByChannels(task, columns, v, u, m));
        } else if (channelKernel == null) {
            pool.forEach(tasks, task -> {
                candidate.checkBefore(task, tasks);
                multiply(task, columns, v, u, m);
                candidate.checkAfter(task, tasks);
            });
        } else {
            pool.forEach(tasks, task -> {
                candidate.checkBefore(task, tasks);
                multiplyByChannels(task, columns, v, u, m);
                candidate.checkAfter(task, tasks);
            });
        }
    }

    /**
     * {@link #transformInputs}' phase-split rows, the thread's own and kept between tasks up to
     * {@value #MAX_KEPT_PHASES} floats (larger maps allocate theirs per task). Allocated per task they were most of
     * this plan's garbage, a channel's padded plane per task: 0.95 of the 1.14 MB a call allocated on ResNet-50's 64
     * channels on 56x56 (JFR allocation samples), a young collection every few hundred calls, each copying the
     * backend's cached weights while they are young. With {@link Scratch}, 16-48 KB a call on ResNet-50's Winograd
     * layers, and both builds in one JVM ({@code benchmarks/ab/two_builds_ab.sh}, 2-core AMD EPYC, Zen 3, two
     * threads) 0.95x the time on 64 channels on 56x56, 0.94x on 128 on 28x28, 0.97x on 256 on 14x14.
     */
    private static final ThreadLocal<float[]> PHASES = ThreadLocal.withInitial(() -> new float[0]);
    /** The largest phase-split plane a thread keeps ({@link #PHASES}): 256 KB. */
    static final int MAX_KEPT_PHASES = 1 << 16;

    /**
     * The transforms' small arrays, the thread's own (4 KB), for the same reason as {@link #PHASES}: allocated per
     * task they were 0.6-0.9 MB a call on 256 channels on 14x14, whose tasks are single channels ({@link
     * Winograd2x2Plan}'s 0.3 MB on 512 on 7x7). Each task writes what it reads.
     */
    static final class Scratch {
        final float[] patch = new float[XI * LANES];
        final float[] input = new float[XI * LANES];
        final float[] output = new float[4 * WinogradTransforms.T * LANES];
        final float[] y = new float[16 * LANES];
        final float[] merged = new float[4 * LANES];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** The calling thread's {@link Scratch}. */
    static Scratch scratch() {
        return SCRATCH.get();
    }

    /** Step 1 for channel {@code c} of the pass's images, tile rows in order (see the class comment for why). */
    private void transformInputs(float[] input, int first, int images, int c, float[] v) {
        int rowFloats = 4 * phaseStride;
        float[] row = new float[rowFloats];
        float[] phases = phases(rowSource.length * rowFloats + 2 * LANES);
        float[] scratch = SCRATCH.get().input;
        int xiStride = g.inChannels() * rowStride;
        for (int i = 0; i < images; i++) {
            if (WorkerPool.stopRequested()) {
                return; // cancelled
            }
            int plane = ((first + i) * g.inChannels() + c) * g.inHeight() * g.inWidth();
            for (int y = 0; y < rowSource.length; y++) {
                padRow(input, plane, rowSource[y], row);
                WinogradTransforms.split(row, 0, phases, y * rowFloats, phaseStride);
            }
            for (int ty = 0; ty < tileRows; ty++) {
                int v0 = c * rowStride + i * tilesPerImage + ty * tileCols;
                for (int tx = 0; tx < tileCols; tx += LANES) {
                    WinogradTransforms.input(phases, 4 * ty * rowFloats + tx, phaseStride, v, v0 + tx, xiStride,
                            scratch);
                }
            }
        }
    }

    /**
     * An array of at least {@code length} floats for {@link #transformInputs}, zero in {@code [length - 2 * LANES,
     * length)}: the split rows fill the rest before it is read, and the vectors past a row's last tile read the slack.
     */
    private static float[] phases(int length) {
        if (length > MAX_KEPT_PHASES) {
            return new float[length];
        }
        float[] phases = PHASES.get();
        if (phases.length < length) {
            phases = new float[length];
            PHASES.set(phases);
        } else {
            Arrays.fill(phases, length - 2 * LANES, length, 0f);
        }
        return phases;
    }

    /**
     * Step 1 for channel {@code c} when {@link #gathered}: per {@code LANES} tiles of the pass, each tile's 6x6 padded
     * input elements gathered into lane {@code tile} of 36 vectors (zero past the pass's tiles), then transformed.
     */
    private void gatherInputs(float[] input, int first, int columns, int c, float[] v) {
        Scratch own = SCRATCH.get();
        float[] patch = own.patch;
        float[] scratch = own.input;
        int xiStride = g.inChannels() * rowStride;
        int width = g.inWidth();
        for (int t0 = 0; t0 < columns; t0 += LANES) {
            if (WorkerPool.stopRequested()) {
                return; // cancelled
            }
            for (int lane = 0; lane < LANES; lane++) {
                int t = t0 + lane;
                if (t >= columns) {
                    for (int e = 0; e < XI; e++) {
                        patch[e * LANES + lane] = 0f;
                    }
                    continue;
                }
                int tile = t % tilesPerImage;
                int y0 = 4 * (tile / tileCols);
                int x0 = 4 * (tile % tileCols);
                int plane = ((first + t / tilesPerImage) * g.inChannels() + c) * g.inHeight() * width;
                for (int r = 0, e = lane; r < WinogradTransforms.T; r++) {
                    int sy = rowSource[y0 + r];
                    for (int i = 0; i < WinogradTransforms.T; i++, e += LANES) {
                        int sx = colSource[x0 + i];
                        patch[e] = sy < 0 || sx < 0 ? 0f : input[plane + sy * width + sx];
                    }
                }
            }
            WinogradTransforms.inputGathered(patch, v, c * rowStride + t0, xiStride, scratch);
        }
    }

    /** Padded input row {@code sy} (an input row, or -1 for zeros) of the plane at {@code plane}, into {@code row}. */
    private void padRow(float[] input, int plane, int sy, float[] row) {
        if (sy < 0) {
            Arrays.fill(row, 0f);
            return;
        }
        int src = plane + sy * g.inWidth();
        for (int x = 0; x < g.padLeft(); x++) {
            int sx = colSource[x];
            row[x] = sx < 0 ? 0f : input[src + sx];
        }
        System.arraycopy(input, src, row, g.padLeft(), g.inWidth());
        for (int x = g.padLeft() + g.inWidth(); x < row.length; x++) {
            int sx = colSource[x];
            row[x] = sx < 0 ? 0f : input[src + sx];
        }
    }

    /** Step 2, GEMM {@code xi} of one group: every channel block times every column tile. */
    private void multiply(int task, int columns, float[] v, float[][] u, float[] m) {
        int xi = task / g.groups();
        int group = task % g.groups();
        int srcBase = xi * g.inChannels() * rowStride + group * cpg * rowStride;
        int fullTiles = columns / GemmKernel.WIDTH;
        int tiles = ceilDiv(columns, GemmKernel.WIDTH);
        VectorStores.Sink sink = stores.sink(m, false);
        for (int tile = 0; tile < tiles; tile++) {
            if (WorkerPool.stopRequested()) {
                return; // cancelled: a task is seconds of work on a big layer
            }
            int j0 = tile * GemmKernel.WIDTH;
            for (int block = 0; block < blocksPerGroup; block++) {
                int rows = Math.min(GemmKernel.ROWS, kpg - block * GemmKernel.ROWS);
                int plane0 = (xi * g.outChannels() + group * kpg + block * GemmKernel.ROWS) * rowStride;
                int b = group * blocksPerGroup + block;
                float[] ub = u[xi * arraysPerXi + b / blocksPerArray];
                int wp0 = b % blocksPerArray * cpg * GemmKernel.ROWS;
                if (tile < fullTiles) {
                    GemmKernel.fullTilePacked(v, srcBase, channelTaps, ub, wp0, rows, null, 0, plane0, rowStride, j0,
                            sink);
                } else {
                    // The columns past the pass's tiles are slack: whole vectors, their results never read.
                    for (int j = j0; j < columns; j += LANES) {
                        GemmKernel.tile8x1Packed(v, srcBase, channelTaps, ub, wp0, rows, null, 0, plane0, rowStride,
                                j, LANES, sink);
                    }
                }
            }
        }
    }

    /** Step 2 on {@link #channelKernel}, GEMM {@code xi} of one group ({@link #multiplyTiles}). */
    private void multiplyByChannels(int task, int columns, float[] v, float[][] u, float[] m) {
        int xi = task / g.groups();
        int group = task % g.groups();
        multiplyTiles(channelKernel, v, (xi * g.inChannels() + group * cpg) * rowStride, rowStride, columns, cpg, kpg,
                u, xi * arraysPerXi, blocksPerArray, group * blocksPerGroup, m,
                (xi * g.outChannels() + group * kpg) * rowStride);
    }

    /**
     * One Winograd GEMM of a group on {@link ChannelGemmKernel} (this plan's on small maps, and
     * {@link Winograd2x2Plan}'s): {@code M[k][tile] = sum_c U[k][c] * V[c][tile]}, {@code V}'s {@code cpg} rows at
     * {@code v[v0 + c * rowStride]}, {@code M}'s {@code kpg} rows at {@code m[m0 + k * rowStride]}, {@code columns}
     * tiles each. Block {@code b} of {@code U} (channels {@code [b * W, b * W + W)}, {@code W} the kernel's
     * channels, as {@code [c][W]}) is {@code u[u0 + (block0 + b) / blocksPerArray]} from
     * {@code ((block0 + b) % blocksPerArray) * cpg * W}.
     *
     * <p>The tiles are copied into panels of {@code P} first ({@code P} per channel, the kernel's layout; one vector
     * per channel, whose lanes past {@code P} the next channel's copy overwrites, the last one's landing in the
     * panels' slack; {@code V}'s rows need a vector of slack past the last tile), then per block of {@code U} every
     * panel, each finished register tile written to its {@code M} rows. Blocks outside, panels inside: each block
     * of {@code U} comes from memory once per call and is reused from L1 for every panel ({@code U} is several times
     * the weights; with the panels outside, its stream, not the FMAs, set the speed: 256 channels on 14x14, one
     * thread, 1.29 ms for these GEMMs). Values past the last tile come from the slack; their results are not stored.
     * The panels are the thread's own, kept between calls ({@link #PANELS}: allocated per task they were about a
     * megabyte per call; kept, same-JVM A/B at 2 threads 0.91-0.97x on 128 and 256 channels, 0.98-1.02x on 512).
     */
    private static final ThreadLocal<float[]> PANELS = ThreadLocal.withInitial(() -> new float[0]);

    static void multiplyTiles(ChannelGemmKernel kernel, float[] v, int v0, int rowStride, int columns, int cpg,
                              int kpg, float[][] u, int u0, int blocksPerArray, int block0, float[] m, int m0) {
        int p = kernel.pixels;
        int width = kernel.channels();
        int runs = ceilDiv(columns, p);
        float[] panels = PANELS.get();
        if (panels.length < runs * cpg * p + LANES) {
            panels = new float[runs * cpg * p + LANES];
            PANELS.set(panels);
        }
        for (int run = 0, dst = 0; run < runs; run++) {
            for (int c = 0, from = v0 + run * p; c < cpg; c++, from += rowStride, dst += p) {
                if (p <= LANES) {
                    FloatVector.fromArray(GemmKernel.F, v, from).intoArray(panels, dst);
                } else { // 128-bit vectors, 6-tile panels
                    System.arraycopy(v, from, panels, dst, p);
                }
            }
        }
        float[] tile = new float[kernel.tileLength()];
        // six tiles' products of the narrow kernel are a run of six in each M row: the kernel stores them
        OutputRun six = kernel == ChannelGemmKernel.NARROW ? new OutputRun(m, rowStride, NO_BIAS, false) : null;
        for (int block = 0, blocks = ceilDiv(kpg, width); block < blocks; block++) {
            if (WorkerPool.stopRequested()) {
                return; // cancelled
            }
            int b = block0 + block;
            float[] ub = u[u0 + b / blocksPerArray];
            int w0 = b % blocksPerArray * cpg * width;
            int channels = Math.min(width, kpg - block * width);
            boolean full = kernel.fills(channels);
            int plane0 = m0 + block * width * rowStride;
            for (int run = 0; run < runs; run++) {
                int valid = Math.min(p, columns - run * p);
                if (six != null && full && valid == p) {
                    six.at = plane0 + run * p;
                    six.channels = channels;
                    kernel.run(panels, run * cpg * p, ub, w0, cpg, tile, six);
                    continue;
                }
                if (full) {
                    kernel.run(panels, run * cpg * p, ub, w0, cpg, tile);
                } else {
                    kernel.runPart(panels, run * cpg * p, ub, w0, cpg, tile, channels);
                }
                for (int i = 0; i < valid; i++) {
                    storeTile(tile, i * width, channels, m, plane0 + run * p + i, rowStride);
                }
            }
        }
    }

    /** The zero bias of {@link #multiplyTiles}'s {@link OutputRun}: {@code M} has none. */
    private static final float[] NO_BIAS = new float[ChannelGemmKernel.NARROW.channels()];

    /**
     * One tile's {@code channels} products from {@code tile[from ..]} to every {@code rowStride}-th element of
     * {@code m} from {@code at}: a run along the register tile's row, as {@link ChannelGemmPlan}'s stores. Same-JVM
     * A/B against the channel-by-channel loop it replaced (2-core AMD EPYC, 2 threads, three runs): F(2x2, 3x3) 512
     * channels on 7x7 0.91-0.99x, F(4x4, 3x3) 128 on 14x14 0.85-0.94x, 256 on 14x14 0.98x (one run 1.23x, not
     * seen again); at AVX2's width 0.97x and 0.89x.
     */
    private static void storeTile(float[] tile, int from, int channels, float[] m, int at, int rowStride) {
        for (int c = 0; c < channels; c++, at += rowStride) {
            m[at] = tile[from + c];
        }
    }

    /** Step 3 for output channel {@code k} of image {@code i} of the pass. */
    private void transformOutputs(float[] m, int first, int i, int k, float[] bias, float[] output) {
        Scratch own = SCRATCH.get();
        float[] scratch = own.output;
        float[] y = own.y;
        float[] merged = own.merged;
        float b = bias == null ? 0f : bias[k];
        int xiStride = g.outChannels() * rowStride;
        int oh = g.outHeight();
        int ow = g.outWidth();
        int plane = ((first + i) * g.outChannels() + k) * oh * ow;
        for (int ty = 0; ty < tileRows; ty++) {
            int m0 = k * rowStride + i * tilesPerImage + ty * tileCols;
            int rows = Math.min(4, oh - 4 * ty);
            for (int tx = 0; tx < tileCols; tx += LANES) {
                WinogradTransforms.output(m, m0 + tx, xiStride, b, scratch, y);
                int cols = Math.min(4 * LANES, ow - 4 * tx);
                for (int r = 0; r < rows; r++) {
                    WinogradTransforms.merge(y, 4 * r * LANES, merged, 0);
                    System.arraycopy(merged, 0, output, plane + (4 * ty + r) * ow + 4 * tx, cols);
                }
            }
        }
    }

    /**
     * Step 3 for output channel {@code k} when {@link #gathered}: per {@code LANES} tiles of the pass, transformed as
     * one vector each, every tile's outputs inside the map stored one by one.
     */
    private void scatterOutputs(float[] m, int first, int columns, int k, float[] bias, float[] output) {
        Scratch own = SCRATCH.get();
        float[] scratch = own.output;
        float[] y = own.y;
        float b = bias == null ? 0f : bias[k];
        int xiStride = g.outChannels() * rowStride;
        int oh = g.outHeight();
        int ow = g.outWidth();
        for (int t0 = 0; t0 < columns; t0 += LANES) {
            WinogradTransforms.output(m, k * rowStride + t0, xiStride, b, scratch, y);
            for (int lane = 0, end = Math.min(LANES, columns - t0); lane < end; lane++) {
                int t = t0 + lane;
                int tile = t % tilesPerImage;
                int y0 = 4 * (tile / tileCols);
                int x0 = 4 * (tile % tileCols);
                int at = ((first + t / tilesPerImage) * g.outChannels() + k) * oh * ow + y0 * ow + x0;
                int rows = Math.min(4, oh - y0);
                int cols = Math.min(4, ow - x0);
                for (int i = 0; i < rows; i++, at += ow) {
                    for (int j = 0; j < cols; j++) {
                        output[at + j] = y[(4 * i + j) * LANES + lane];
                    }
                }
            }
        }
    }

    /**
     * {@code U} for every filter, packed for the GEMM kernel: block {@code b = group * blocksPerGroup + block} of
     * {@code xi} at {@code u[xi * arraysPerXi + b / blocksPerArray][(b % blocksPerArray) * cpg * blockWidth ..]} as
     * {@code [c][blockWidth channels]}, zero past the group's last channel. Arrays of at most
     * {@link WeightCache#PIECE} floats: {@code U} is 4x the weights (38 MB at 512x512), and as one array per
     * {@code xi} (1 MB at 512x512, more than half a G1 region, so each in fresh regions of its own, zeroed by the
     * calling thread) a new weight version's first call spent most of its 41-59 ms faulting that memory in (2
     * threads, steady state 5.3-5.5 ms; see {@link WeightCache}). Not smaller: with one array per block (8-16 KB) the
     * kernels' weight stream jumps between arrays from block to block, and 512x512 on 14x14 measured 0.87x in steady
     * state at 1 and 2 threads (A/B in one JVM). The arrays are allocated per {@code xi} and the filters transformed
     * per block, each step in parallel.
     */
    private float[][] transformFilters(float[] weight) {
        int blocks = g.groups() * blocksPerGroup;
        float[][] u = new float[XI * arraysPerXi][];
        pool.forEach(XI, xi -> {
            for (int a = 0; a < arraysPerXi; a++) {
                u[xi * arraysPerXi + a] = new float[Math.min(blocksPerArray, blocks - a * blocksPerArray) * cpg
                        * blockWidth];
            }
        });
        int chunk = Math.max(1, ceilDiv(blocks, pool.threads() * 4));
        pool.forEach(ceilDiv(blocks, chunk), task -> {
            float[][] ub = new float[XI][];
            for (int b = task * chunk, end = Math.min(blocks, b + chunk); b < end; b++) {
                for (int xi = 0; xi < XI; xi++) {
                    ub[xi] = u[xi * arraysPerXi + b / blocksPerArray];
                }
                int group = b / blocksPerGroup;
                int k0 = (b % blocksPerGroup) * blockWidth;
                int rows = Math.min(blockWidth, kpg - k0);
                int u0 = b % blocksPerArray * cpg * blockWidth;
                for (int c = 0; c < cpg; c++) { // a block's filters of one channel are adjacent in U
                    WinogradTransforms.filters(weight, ((group * kpg + k0) * cpg + c) * 9, cpg * 9, rows, ub,
                            u0 + c * blockWidth);
                }
            }
        });
        return u;
    }

    @Override
    public String describe() {
        boolean padded = g.padTop() + g.padBottom() + g.padLeft() + g.padRight() > 0;
        return String.format(Locale.ROOT, "Winograd F(4x4,3x3) on %s: %d x %d tiles per image, 36 GEMMs of %d x %d x %d"
                        + " per group and pass of %d image%s, register tiles of %s, %sweights "
                        + "transformed once per weight version, %s",
                padded ? "the input padded (" + g.paddingMode().pytorchName() + ")" : "the input", tileRows, tileCols,
                kpg, cpg, imagesPerPass * tilesPerImage, imagesPerPass, imagesPerPass == 1 ? "" : "s",
                channelKernel == null ? GemmKernel.tileShape()
                        : channelKernel.channels() + " channels x " + channelKernel.pixels + " tiles",
                gathered ? "transforms on vectors of tiles gathered across tile rows, " : "", threadCount());
    }

    /** The idle {@code V} and {@code M}, the transformed filters with their weight snapshot, the index tables. */
    @Override
    public long retainedBytes() {
        return transformed.idleBytes() + products.idleBytes() + filters.bytes()
                + (long) Integer.BYTES * (channelTaps.length + rowSource.length + colSource.length);
    }

    @Override
    public void close() {
        super.close();
        transformed.clear();
        products.clear();
        filters.clear();
    }

    private static int ceilDiv(int a, int b) {
        return FlatLayout.ceilDiv(a, b);
    }

    private static int roundUp(int a, int b) {
        return FlatLayout.roundUp(a, b);
    }
}
