package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;
import java.util.Arrays;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;

/**
 * Convolution as a GEMM per image and group, {@code out[K/G x flat] = w[K/G x (C/G)RS] * taps[(C/G)RS x flat]},
 * where the right-hand matrix is never built: column {@code f}, row {@code t} is {@code layout[f + tapOffset[t]]}
 * ({@link FlatLayout}). For a 1x1 stride-1 unpadded convolution the layout is the input itself and this is a
 * plain GEMM on it.
 *
 * <p>Weights: where every weight meets many flat columns (the usual case) they are packed into 8-channel blocks
 * ({@link GemmKernel}), small weights once per call, larger ones once per weight version ({@link #CACHE_MIN_FLOATS}),
 * and tasks split the columns. Where the flat
 * range is short and the weights big (512x3x3x512 on 7x7: 61 columns, 9 MB of weights) packing would cost as
 * much as the convolution, so the kernel reads the weight rows in place and tasks split the channels, each
 * task taking all columns of its blocks so every weight row comes from memory once.
 *
 * <p>Where one task holds all channel blocks (the usual case) it also makes the layout copy of the rows its
 * tiles read ({@link #fillFor}), so the copy is written by the core that reads it. Otherwise images are processed
 * in passes of as many as fit their layout copy in about half the L2 cache: each pass writes its images' copy
 * in one parallel step and then multiplies it while it is still cached (a whole batch-8 56x56x64 copy is
 * 7 MB and would come back from memory). Within a pass, work is cut into tasks of (image, group, block of
 * output channels, run of flat tiles). Inside a task the
 * tile loop is outside the channel loop, so the input a tile reads stays in L1/L2 while every channel block
 * uses it; the channel blocks of one task are sized so their weight rows (read in place) fit in L2.
 */
final class ImplicitGemmPlan extends CpuPlan {
    /** Weight bytes one task's channel blocks may keep in L2 (half of a 2 MB L2, the rest is the input). */
    private static final int WEIGHT_BYTES_PER_TASK = 1 << 20;
    /** Aim for this many copy or packing tasks per thread so dynamic scheduling can even them out. */
    private static final int TASKS_PER_THREAD = 8;
    /**
     * Multiply tasks per thread: few, because each task also copies the layout rows its tiles read and
     * neighbouring tasks both copy the rows where their reads overlap, about three per task (for a 3x3 on 56x56 on
     * 2 threads: 30% more copying with 3 tasks per thread, 70% with 8). Measured on 2 threads, 3 against 8: 3x3
     * on 56x56 1.09 against 1.15 ms, 7x7/2 on 224x224 1.23 against 1.38 ms, batch 8 8.8 against 9.3 ms.
     */
    private static final int GEMM_TASKS_PER_THREAD = 3;
    /**
     * Pack the weights when every packed weight is used for at least this many flat columns (per batch): packing
     * costs about a load and a store per weight, against 2 FLOPs per weight and column, and speeds the kernel
     * by a third. The 512x3x3x512 layer on 7x7 (61 columns) reads its 9 MB of weights in place instead.
     */
    static final int PACK_MIN_COLUMNS = 512;
    /** Packed weights below this many floats are packed by the calling thread alone. */
    private static final int SMALL_PACK = 1 << 16;
    /**
     * Packed weights of at least this many floats are kept per weight version ({@link WeightCache}, its compare of
     * the weights run inside the GEMM tasks) instead of packed again on every call. Measured on a 2-core AMD EPYC
     * with AVX-512, both builds in one JVM ({@code benchmarks/ab/two_builds_ab.sh}), 2 threads, time with the cache
     * over packing per call: 3x3 stride 2 128 on 56x56 (147K floats) 0.90-0.98, 1x1 stride 2 256->512 (128K)
     * 0.91-0.93, 512->256 on 28x28 (128K) 0.77-0.95, 128->512 and 512->128 on 28x28 (64K) 0.87-0.95; at AVX2's
     * width ({@code -XX:UseAVX=2}) 0.96-1.05, a wash. Smaller weights, packed by the calling thread alone in
     * microseconds, gained nothing at 512 bits (0.95-1.05) and measured 1.07-1.16 at AVX2's width on two
     * panel-copying 1x1 layers, three runs each (two builds of the same code differed by up to 8% there), so they
     * are still packed per call.
     */
    static final int CACHE_MIN_FLOATS = SMALL_PACK;
    /** Layout-copy bytes one pass of images may fill (about half of a 2 MB L2). */
    private static final int PASS_BYTES = 1 << 20;
    /** Channel blocks per task from which the narrow tile copies panels ({@link #runOnPanels}). */
    static final int PANEL_MIN_BLOCKS = 4;
    /** Input channels per group from which the narrow tile copies panels ({@link #runOnPanels}). */
    static final int PANEL_MIN_CHANNELS = 16;
    /** Bytes of one tile's panel from which several tiles' panels are copied at once ({@link #panelTiles}). */
    static final int PANEL_CHUNK_MIN_BYTES = 16 << 10;
    /** Bytes of the panels copied at once ({@link #panelTiles}). */
    static final int PANEL_CHUNK_BYTES = 128 << 10;

    private final FlatLayout layout;
    private final VectorStores stores;
    /** Layout copies, at most one idle per thread once a burst of concurrent calls ends. */
    private final ScratchPool buffers;
    /** Weights packed per call (below {@link #CACHE_MIN_FLOATS}), at most one idle per thread. */
    private final ScratchPool callPacks;
    /** Weights packed per weight version (from {@link #CACHE_MIN_FLOATS}). */
    private final WeightCache<Packed> versionPacks;
    private final boolean packWeights;
    private final boolean cachesPacks;
    private final int packedLength;
    private final int packChunk;
    private final int rowsPerGroup;
    private final int tapsPerRow;
    private final int blocksPerGroup;
    private final int blocksPerChunk;
    private final int channelChunks;
    private final int fullTiles;
    private final int tileCount;
    private final int tilesPerChunk;
    private final int tileChunks;
    private final int fillChunk;
    private final int imagesPerPass;
    private final boolean fusedFill;
    /** Images in the source are numbered from the pass's first one ({@code -1}), or from 0 (the direct layout). */
    private final int firstImageMask;
    /** Tiles computed whole: all of them where the ragged end may read garbage lanes ({@link #wholeTiles}). */
    private final int wholeTiles;
    private final PostOp postOp;
    /** Whether tasks run {@link #runOnPanels}: each whole tile's input copied into a panel first. */
    private final boolean copiesPanels;
    /**
     * Whole tiles whose panels a task copies at once, one input row after another ({@link #runOnPanels}): several
     * where one tile's panel is at least {@value #PANEL_CHUNK_MIN_BYTES} bytes, as many as fit in
     * {@value #PANEL_CHUNK_BYTES}; otherwise 1.
     */
    private final int panelTiles;
    /** The panel's tap offsets: tap {@code t}'s {@link GemmKernel#WIDTH} columns at {@code t * WIDTH}. */
    private final int[] panelTaps;
    private static final ThreadLocal<float[][]> PANELS = ThreadLocal.withInitial(() -> new float[0][]);
    /** The calling thread's half-blocks of weights packed per call ({@link Packed}), reused from call to call. */
    private static final ThreadLocal<float[][]> CALL_HALVES = ThreadLocal.withInitial(() -> new float[0][]);

    /**
     * Packed weights: 8-channel blocks in one array ({@link GemmKernel#pack}), and where the narrow tile copies panels
     * the same blocks as arrays of four rows each ({@link GemmKernel#packHalves}), which {@link GemmKernel#tile4x2Panel}
     * reads from index 0; else no halves.
     */
    private record Packed(float[] blocks, float[][] halves) {
        long bytes() {
            return (long) Float.BYTES * blocks.length + WeightCache.floatBytes(halves);
        }
    }

    ImplicitGemmPlan(ConvGeometry g, WorkerPool pool) {
        this(g, pool, PACK_MIN_COLUMNS, PostOp.NONE);
    }

    /**
     * Tests set {@code packMinColumns} to 0 or {@link Integer#MAX_VALUE} to force either weight layout;
     * {@code postOp} is applied by the task's {@link VectorStores.Sink} as it writes each output vector.
     */
    ImplicitGemmPlan(ConvGeometry g, WorkerPool pool, int packMinColumns, PostOp postOp) {
        this(g, pool, packMinColumns, CACHE_MIN_FLOATS, postOp, 0);
    }

    /**
     * Tests also keep packed weights of at least {@code cacheMinFloats} floats per weight version and, with
     * {@code forcedPanelTiles > 0}, copy panels ({@link #runOnPanels}) wherever a task has several channel blocks,
     * on either tile, that many tiles at a time.
     */
    ImplicitGemmPlan(ConvGeometry g, WorkerPool pool, int packMinColumns, int cacheMinFloats, PostOp postOp,
                     int forcedPanelTiles) {
        super(g, pool);
        this.postOp = postOp;
        this.layout = new FlatLayout(g);
        this.stores = new VectorStores(layout);
        this.buffers = new ScratchPool(pool.threads());
        this.callPacks = new ScratchPool(pool.threads());
        this.versionPacks = new WeightCache<>(w -> packed(pack(w), new float[halvesLength()][]), Packed::bytes);
        rowsPerGroup = g.outChannelsPerGroup();
        tapsPerRow = layout.tapOffset.length;
        blocksPerGroup = FlatLayout.ceilDiv(rowsPerGroup, GemmKernel.ROWS);
        imagesPerPass = layout.direct ? Math.max(1, g.batch())
                : (int) Math.max(1, Math.min(g.batch(), PASS_BYTES / ((long) layout.imageStride * Float.BYTES)));
        packWeights = (long) layout.flatLength * g.batch() >= packMinColumns;
        int wanted = pool.threads() == 1 ? 1 : pool.threads() * GEMM_TASKS_PER_THREAD;
        int cachedBlocks = Math.max(1, WEIGHT_BYTES_PER_TASK / (GemmKernel.ROWS * tapsPerRow * Float.BYTES));
        int outerPerChannelChunk = imagesPerPass * g.groups();
        fullTiles = layout.flatLength / GemmKernel.WIDTH;
        tileCount = fullTiles + (layout.flatLength % GemmKernel.WIDTH == 0 ? 0 : 1);
        wholeTiles = wholeTiles(layout, fullTiles, tileCount);
        if (packWeights) {
            // Channel chunks only as needed to keep a task's weights in L2; columns give the parallelism.
            blocksPerChunk = Math.min(blocksPerGroup, cachedBlocks);
            channelChunks = FlatLayout.ceilDiv(blocksPerGroup, blocksPerChunk);
            int split = Math.max(1, Math.min(tileCount,
                    FlatLayout.ceilDiv(wanted, outerPerChannelChunk * channelChunks)));
            tilesPerChunk = FlatLayout.ceilDiv(tileCount, split);
        } else {
            // Weight-heavy: every task takes all columns of its channel blocks, so each weight row comes from
            // memory once and is reused from L2 for the next tiles; channels give the parallelism.
            int split = Math.max(1, Math.min(blocksPerGroup, FlatLayout.ceilDiv(wanted, outerPerChannelChunk)));
            blocksPerChunk = Math.min(cachedBlocks, FlatLayout.ceilDiv(blocksPerGroup, split));
            channelChunks = FlatLayout.ceilDiv(blocksPerGroup, blocksPerChunk);
            tilesPerChunk = tileCount;
        }
        tileChunks = FlatLayout.ceilDiv(tileCount, tilesPerChunk);
        fusedFill = !layout.direct && channelChunks == 1;
        copiesPanels = packWeights && blocksPerChunk > 1 && (forcedPanelTiles > 0
                || GemmKernel.NARROW_TILE && blocksPerChunk >= PANEL_MIN_BLOCKS
                && g.inChannelsPerGroup() >= PANEL_MIN_CHANNELS);
        int tilePanelBytes = tapsPerRow * GemmKernel.WIDTH * Float.BYTES;
        panelTiles = forcedPanelTiles > 0 ? forcedPanelTiles
                : tilePanelBytes < PANEL_CHUNK_MIN_BYTES ? 1 : Math.max(1, PANEL_CHUNK_BYTES / tilePanelBytes);
        panelTaps = new int[copiesPanels ? tapsPerRow : 0];
        for (int t = 0; t < panelTaps.length; t++) {
            panelTaps[t] = t * GemmKernel.WIDTH;
        }
        firstImageMask = layout.direct ? 0 : -1;
        int phasePlanesPerPass = imagesPerPass * g.inChannels() * layout.phases();
        fillChunk = Math.max(1, FlatLayout.ceilDiv(phasePlanesPerPass, pool.threads() * TASKS_PER_THREAD));
        int blocks = g.groups() * blocksPerGroup;
        packedLength = packWeights ? blocks * tapsPerRow * GemmKernel.ROWS : 0;
        // Small weights are packed on the calling thread: waking the pool would cost more than the copy.
        packChunk = packedLength < SMALL_PACK ? Math.max(1, blocks)
                : Math.max(1, FlatLayout.ceilDiv(blocks, pool.threads() * TASKS_PER_THREAD));
        cachesPacks = packWeights && packedLength >= cacheMinFloats;
    }

    /**
     * The ragged end of the flat range runs as one more full tile where that is safe: in a layout copy (not the
     * caller's input, which must not be read past) whose {@link FlatLayout#SLACK} covers a tile's overhang. Its
     * extra lanes read the next plane, image or slack and are never stored (lanes do not mix, and
     * {@link VectorStores.Sink#flush} stores only the flat range). Otherwise it runs vector by vector through the
     * one-vector kernels' masked loads, which JDK 17 does not compile to masked instructions: on a 3x3/2 layer
     * with 28x28 outputs they took 9% of the time for 3 of its 51 vectors.
     */
    static int wholeTiles(FlatLayout layout, int fullTiles, int tileCount) {
        return !layout.direct && GemmKernel.WIDTH - 1 <= FlatLayout.SLACK ? tileCount : fullTiles;
    }

    @Override
    void compute(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        float[] src = layout.direct ? input : buffers.take(imagesPerPass * layout.imageStride + FlatLayout.SLACK);
        WeightCache.Candidate<Packed> candidate = cachesPacks ? versionPacks.candidate(weight, weightVersion) : null;
        Packed packed = candidate != null ? candidate.transformed()
                : cachesPacks ? versionPacks.get(weight, weightVersion, pool)
                : packWeights ? packed(pack(weight, callPacks.take(packedLength)), callHalves()) : null;
        try {
            run(input, weight, bias, output, src, packed, candidate);
            if (candidate != null && !versionPacks.confirmed(candidate)) { // changed where the samples did not look
                run(input, weight, bias, output, src, versionPacks.get(weight, weightVersion, pool), null);
            }
        } finally {
            // also when interrupted or failed: the next call reuses them
            if (!layout.direct) {
                buffers.give(src);
            }
            if (packWeights && !cachesPacks) {
                callPacks.give(packed.blocks());
            }
        }
    }

    /** Halves of 8-channel blocks in a {@link Packed}: two per block where the narrow tile copies panels, else none. */
    private int halvesLength() {
        return copiesPanels && GemmKernel.NARROW_TILE ? 2 * g.groups() * blocksPerGroup : 0;
    }

    /** {@code blocks} with their halves packed into the first {@link #halvesLength} of {@code halves}. */
    private Packed packed(float[] blocks, float[][] halves) {
        GemmKernel.packHalves(blocks, halvesLength() / 2, tapsPerRow, halves);
        return new Packed(blocks, halves);
    }

    /** The calling thread's arrays for halves packed per call, at least {@link #halvesLength} of them. */
    private float[][] callHalves() {
        float[][] halves = CALL_HALVES.get();
        if (halves.length < halvesLength()) {
            halves = Arrays.copyOf(halves, halvesLength());
            CALL_HALVES.set(halves);
        }
        return halves;
    }

    /** The packed weights of a new weight version. */
    private float[] pack(float[] weight) {
        return pack(weight, new float[packedLength]);
    }

    /** {@code weight} packed into {@code packed}, in 8-channel blocks ({@link #packChunk} of them per task). */
    private float[] pack(float[] weight, float[] packed) {
        int blocks = g.groups() * blocksPerGroup;
        pool.forEach(FlatLayout.ceilDiv(blocks, packChunk), task -> packBlocks(weight, packed, task * packChunk,
                blocks));
        return packed;
    }

    /**
     * The GEMM passes; with a {@code candidate} (weights packed before, not yet compared in full) the first pass's
     * tasks also compare the weights with its snapshot ({@link WeightCache.Candidate#check}).
     */
    private void run(float[] input, float[] weight, float[] bias, float[] output, float[] src, Packed weights,
                     WeightCache.Candidate<Packed> candidate) {
        float[] packed = weights == null ? null : weights.blocks();
        float[][] halves = weights == null ? null : weights.halves();
        for (int n0 = 0; n0 < g.batch(); n0 += imagesPerPass) {
            int first = n0;
            int images = Math.min(imagesPerPass, g.batch() - n0);
            if (!layout.direct && !fusedFill) {
                int phasePlanes = images * g.inChannels() * layout.phases();
                pool.forEach(FlatLayout.ceilDiv(phasePlanes, fillChunk), task -> {
                    for (int p = task * fillChunk, end = Math.min(phasePlanes, p + fillChunk); p < end; p++) {
                        int plane = p / layout.phases();
                        int slot = p % layout.phases();
                        layout.fill(input, first + plane / g.inChannels(), plane % g.inChannels(), slot, src,
                                plane * layout.channelStride + slot * layout.phasePlane);
                    }
                });
            }
            int tasks = images * g.groups() * channelChunks * tileChunks;
            WeightCache.Candidate<Packed> check = n0 == 0 ? candidate : null;
            // One lambda per kind of task, not a branch inside one: see Span.
            if (copiesPanels && fusedFill) {
                pool.forEach(tasks, t -> {
                    runOnPanels(fill(before(check, t, tasks, span(t, first)), input, src), src, packed, halves, bias,
                            output);
                    after(check, t, tasks);
                });
            } else if (copiesPanels) {
                pool.forEach(tasks, t -> {
                    runOnPanels(before(check, t, tasks, span(t, first)), src, packed, halves, bias, output);
                    after(check, t, tasks);
                });
            } else if (packWeights && fusedFill) {
                pool.forEach(tasks, t -> {
                    runPacked(fill(before(check, t, tasks, span(t, first)), input, src), src, packed, bias, output);
                    after(check, t, tasks);
                });
            } else if (packWeights) {
                pool.forEach(tasks, t -> {
                    runPacked(before(check, t, tasks, span(t, first)), src, packed, bias, output);
                    after(check, t, tasks);
                });
            } else if (fusedFill) {
                pool.forEach(tasks, t -> runInPlace(fill(span(t, first), input, src), src, weight, bias, output));
            } else {
                pool.forEach(tasks, t -> runInPlace(span(t, first), src, weight, bias, output));
            }
        }
    }

    /** With a {@code candidate}, its compare before task {@code t}'s GEMM if it is one of those comparing first. */
    private static Span before(WeightCache.Candidate<Packed> candidate, int t, int tasks, Span s) {
        if (candidate != null) {
            candidate.checkBefore(t, tasks);
        }
        return s;
    }

    /** With a {@code candidate}, its compare after task {@code t}'s GEMM if it is one of those comparing after. */
    private static void after(WeightCache.Candidate<Packed> candidate, int t, int tasks) {
        if (candidate != null) {
            candidate.checkAfter(t, tasks);
        }
    }

    /**
     * What task {@code task} of a pass computes: image {@code n} (at {@code srcImage} in the source), group
     * {@code group} from {@code srcBase}, channel blocks {@code [firstBlock, lastBlock)} and tiles
     * {@code [firstTile, lastTile)}.
     *
     * <p>Why a task runs as one of four lambdas chosen per call ({@link #run}) instead of one method with the plan's
     * choices as branches: C2 compiles a branch that a warm process never took as a trap, and the first layer that
     * takes it deoptimizes the shared task method for every plan and runs it interpreted or in C1 until it is
     * compiled again: a 7x7 stem run after five other layers deoptimized the task on {@link #fusedFill}
     * (LogCompilation: unstable_if, recompiled at tier 3 and not yet at tier 4 a second later), as in-place after
     * packed weights did on {@code packed != null}. A lambda is a class of its own, called through the pool's
     * megamorphic call site: nothing is shared but the loops below. (The stem's first calls still cost 6-15x its
     * steady state: C2 also deoptimizes the shared fill and store code, {@link FlatLayout#fillRows} and
     * {@link VectorStores.Sink#flush}, for paths the earlier layers never took.)
     */
    private record Span(int n, int srcImage, int group, int srcBase, int firstBlock, int lastBlock, int firstTile,
                        int lastTile) {}

    /** Task {@code task} of the pass starting at image {@code firstImage}. */
    private Span span(int task, int firstImage) {
        int tileChunk = task % tileChunks;
        int rest = task / tileChunks;
        int channelChunk = rest % channelChunks;
        rest /= channelChunks;
        int group = rest % g.groups();
        int n = firstImage + rest / g.groups();
        int srcImage = n - (firstImage & firstImageMask); // branch-free: a per-plan branch here was a C2 trap
        int srcBase = srcImage * layout.imageStride + group * g.inChannelsPerGroup() * layout.channelStride;
        int firstBlock = channelChunk * blocksPerChunk;
        int firstTile = tileChunk * tilesPerChunk;
        return new Span(n, srcImage, group, srcBase, firstBlock, Math.min(blocksPerGroup, firstBlock + blocksPerChunk),
                firstTile, Math.min(tileCount, firstTile + tilesPerChunk));
    }

    /** The {@link #fusedFill} of {@code s}'s rows; returns {@code s}. */
    private Span fill(Span s, float[] input, float[] src) {
        fillFor(input, s.n, s.srcImage, s.group, s.firstTile, s.lastTile, src);
        return s;
    }

    /**
     * With {@link #fusedFill}, a task first copies the layout rows its tiles read, of every channel of its group,
     * so the copy is made by the core that uses it, while it multiplies, and no separate parallel step is needed.
     * Neighbouring tasks both copy the few rows where their reads overlap; they write the same values, and each
     * task reads only rows it wrote itself.
     */
    private void fillFor(float[] input, int n, int srcImage, int group, int firstTile, int lastTile, float[] src) {
        int j0 = firstTile * GemmKernel.WIDTH;
        int j1 = Math.min(layout.flatLength, lastTile * GemmKernel.WIDTH);
        int rowFrom = j0 / layout.rowWidth;
        int rowTo = Math.min(layout.rows, (j1 - 1 + layout.reach) / layout.rowWidth + 1);
        int cpg = g.inChannelsPerGroup();
        for (int c = group * cpg; c < (group + 1) * cpg; c++) {
            for (int slot = 0; slot < layout.phases(); slot++) {
                layout.fillRows(input, n, c, slot, rowFrom, rowTo, src,
                        srcImage * layout.imageStride + c * layout.channelStride + slot * layout.phasePlane);
            }
        }
    }

    private void packBlocks(float[] weight, float[] packed, int first, int blocks) {
        for (int b = first, end = Math.min(blocks, first + packChunk); b < end; b++) {
            int group = b / blocksPerGroup;
            int m0 = (b % blocksPerGroup) * GemmKernel.ROWS;
            GemmKernel.pack(weight, group * rowsPerGroup + m0, Math.min(GemmKernel.ROWS, rowsPerGroup - m0),
                    tapsPerRow, packed, b * tapsPerRow * GemmKernel.ROWS);
        }
    }

    /** Packed weights: tiles outside, so a tile's input stays cached while every block of the task uses it. */
    private void runPacked(Span s, float[] src, float[] packed, float[] bias, float[] out) {
        VectorStores.Sink sink = stores.sink(out, postOp == PostOp.RELU);
        for (int tile = s.firstTile; tile < s.lastTile; tile++) {
            if (WorkerPool.stopRequested()) {
                return; // cancelled: a task is seconds of work on a big layer
            }
            for (int block = s.firstBlock; block < s.lastBlock; block++) {
                multiplyPacked(src, s.srcBase, layout.tapOffset, packed, block, s.group, s.n, tile, bias, sink);
            }
        }
    }

    /**
     * As {@link #runPacked}, each whole tile's input first copied into a panel, its taps' columns one after another,
     * which the task's blocks then read ({@link #copiesPanels}; the ragged end reads the layout as before). Where a
     * tile's panel is large ({@link #panelTiles}) the panels of several tiles are copied at once, input row by input
     * row: the copy of a 256-tap 1x1 tile reads 64 bytes from each of 256 rows a channel plane apart, each on a page
     * of its own, and copying eight tiles' worth reads 512 contiguous bytes per row instead. Measured on a 2-core AMD
     * EPYC (Zen 3, AVX2), both builds in one JVM ({@code benchmarks/ab/two_builds_ab.sh}, 30 rounds), one thread,
     * time with eight tiles at a time over one (two threads in brackets): 1x1 256->128 on 56x56 0.78-0.82 (0.85),
     * 256->64 0.74-0.86 (0.96), 512->256 on 28x28 (four at a time) 0.88-0.95 (0.91), 256->512 stride 2 0.95 (1.01);
     * four tiles at a time on all three: 0.94, 0.97, 0.99; but 64-tap layers (64->256 and 64->64 on 56x56, panels of
     * 4 KB) 1.02-1.07, and 128 taps (128->512 on 28x28) or 1152 (3x3 stride 2, 128 channels) 0.99, so only tiles
     * whose panel is at least {@value #PANEL_CHUNK_MIN_BYTES} bytes are copied together.
     *
     * <p>Why the panel, on the narrow (4x2) register tile where a task has at least {@value #PANEL_MIN_BLOCKS} channel
     * blocks and the layer at least {@value #PANEL_MIN_CHANNELS} input channels per group: there an 8-channel block is
     * two register tiles, each reading the tile's input, and the panel is read by {@link GemmKernel#tile4x2Panel},
     * whose loads C2 compiles without a bounds check each. It also keeps 1x1 layers' taps in L1: their taps are a
     * channel stride apart (on 56x56 maps 12,544 bytes, every tap's lines in 16 of the L1's 64 sets), so 128 or more
     * taps no longer stayed in L1 and the input came from L2 twice per block; the panel is contiguous and fills the
     * sets evenly. Measured on a 2-core AMD EPYC at AVX2's width ({@code -XX:UseAVX=2}), both builds in one JVM ({@code
     * benchmarks/ab/two_builds_ab.sh}, 30-40 rounds), 2 threads. First panels read through tap offsets, for 1x1 layers
     * of 128 or more input channels only, over reading the layout: 256->64 on 56x56 0.79-0.88, 256->128 0.80-0.84,
     * 256->512 stride 2 0.80-0.84, 512->256 on 28x28 0.91-0.93, 128->512 0.92-0.97, 144->24 0.79-0.98 (fewer input
     * channels 1.01-1.11, the 7x7 stem and a dilated 3x3 1.05-1.06). Then the panel kernel for layers of 4 or more
     * channel blocks, over that: the 3x3 stride 2 128 on 56x56 0.81-0.97 (five runs), 256 on 28x28 0.93, 64->64 and
     * 64->256 on 56x56 0.82-0.95, the dilated 3x3 0.93-0.97, 256->64 0.92, 16->96 on 112x112 and 24->144 on 56x56
     * 0.97-0.98; but 32->16 on 112x112 (two blocks) 1.01-1.08 and the 7x7 stem 0.99-1.10 (five runs; 3 input channels:
     * a tile's 147 taps lie in 21 input rows whose lines they share, so reading the layout is already cheap), hence the
     * minimums. At 512 bits (8x3: the input read once per block, 3 lines per tap) copying measured 0-13% slower, so the
     * wide tile reads the layout directly.
     */
    private void runOnPanels(Span s, float[] src, float[] packed, float[][] halves, float[] bias, float[] out) {
        VectorStores.Sink sink = stores.sink(out, postOp == PostOp.RELU);
        float[][] panels = panels();
        for (int tile = s.firstTile; tile < s.lastTile; tile++) {
            if (WorkerPool.stopRequested()) {
                return; // cancelled
            }
            if (tile >= wholeTiles) {
                for (int block = s.firstBlock; block < s.lastBlock; block++) {
                    multiplyPacked(src, s.srcBase, layout.tapOffset, packed, block, s.group, s.n, tile, bias, sink);
                }
                continue;
            }
            int inChunk = (tile - s.firstTile) % panelTiles;
            if (inChunk == 0) {
                copyPanels(src, s.srcBase + tile * GemmKernel.WIDTH,
                        Math.min(panelTiles, Math.min(wholeTiles, s.lastTile) - tile), panels);
            }
            float[] panel = panels[inChunk];
            int planeStride = g.outHeight() * g.outWidth();
            for (int block = s.firstBlock; block < s.lastBlock; block++) {
                int m0 = block * GemmKernel.ROWS;
                int k0 = s.group * rowsPerGroup + m0;
                int b = s.group * blocksPerGroup + block;
                GemmKernel.fullTilePanel(panel, panelTaps, packed, b * tapsPerRow * GemmKernel.ROWS,
                        halves.length == 0 ? null : halves[2 * b], halves.length == 0 ? null : halves[2 * b + 1],
                        Math.min(GemmKernel.ROWS, rowsPerGroup - m0), bias, k0,
                        (s.n * g.outChannels() + k0) * planeStride, planeStride, tile * GemmKernel.WIDTH, sink);
            }
        }
    }

    /**
     * This thread's panels, at least {@code panelTiles} arrays of {@code tapsPerRow * WIDTH} floats: one per tile, so
     * that {@link GemmKernel#tile4x2Panel} reads its tile's panel from index 0.
     */
    private float[][] panels() {
        float[][] panels = PANELS.get();
        int length = tapsPerRow * GemmKernel.WIDTH;
        if (panels.length < panelTiles || panels[0].length < length) {
            panels = new float[Math.max(panelTiles, panels.length)][Math.max(length, panels.length == 0 ? 0
                    : panels[0].length)];
            PANELS.set(panels);
        }
        return panels;
    }

    /** Copies {@code count} tiles' panels, tile {@code i}'s into {@code panels[i]}, row by row. */
    private void copyPanels(float[] src, int from, int count, float[][] panels) {
        int[] taps = layout.tapOffset;
        for (int t = 0, dst = 0; t < taps.length; t++, dst += GemmKernel.WIDTH) {
            int at = from + taps[t];
            for (int i = 0; i < count; i++) {
                float[] panel = panels[i];
                for (int v = 0; v < GemmKernel.WIDTH; v += GemmKernel.LANES) {
                    FloatVector.fromArray(GemmKernel.F, src, at + i * GemmKernel.WIDTH + v).intoArray(panel, dst + v);
                }
            }
        }
    }

    /** Weights in place: blocks outside, so a block's weight rows come from memory once for all tiles. */
    private void runInPlace(Span s, float[] src, float[] w, float[] bias, float[] out) {
        VectorStores.Sink sink = stores.sink(out, postOp == PostOp.RELU);
        for (int block = s.firstBlock; block < s.lastBlock; block++) {
            if (WorkerPool.stopRequested()) {
                return; // cancelled
            }
            for (int tile = s.firstTile; tile < s.lastTile; tile++) {
                multiplyInPlace(src, s.srcBase, w, block, s.group, s.n, tile, bias, sink);
            }
        }
    }

    /** One 8-channel block times one tile of flat columns (a full tile, or its ragged end vector by vector). */
    private void multiplyPacked(float[] src, int srcBase, int[] taps, float[] packed, int block, int group, int n,
                                int tile, float[] bias, VectorStores.Sink sink) {
        int m0 = block * GemmKernel.ROWS;
        int rows = Math.min(GemmKernel.ROWS, rowsPerGroup - m0);
        int k0 = group * rowsPerGroup + m0;
        int planeStride = g.outHeight() * g.outWidth();
        int plane0 = (n * g.outChannels() + k0) * planeStride;
        int wp0 = (group * blocksPerGroup + block) * tapsPerRow * GemmKernel.ROWS;
        int j0 = tile * GemmKernel.WIDTH;
        if (tile < wholeTiles) {
            GemmKernel.fullTilePacked(src, srcBase, taps, packed, wp0, rows, bias, k0, plane0, planeStride, j0, sink);
            return;
        }
        for (int j = j0; j < layout.flatLength; j += GemmKernel.LANES) {
            int lanes = Math.min(GemmKernel.LANES, layout.flatLength - j);
            GemmKernel.tile8x1Packed(src, srcBase, taps, packed, wp0, rows, bias, k0, plane0, planeStride, j, lanes,
                    sink);
        }
    }

    /** As {@link #multiplyPacked}, with the weight rows read in place. */
    private void multiplyInPlace(float[] src, int srcBase, float[] w, int block, int group, int n, int tile,
                                 float[] bias, VectorStores.Sink sink) {
        int m0 = block * GemmKernel.ROWS;
        int rows = Math.min(GemmKernel.ROWS, rowsPerGroup - m0);
        int k0 = group * rowsPerGroup + m0;
        int[] taps = layout.tapOffset;
        int planeStride = g.outHeight() * g.outWidth();
        int plane0 = (n * g.outChannels() + k0) * planeStride;
        int j0 = tile * GemmKernel.WIDTH;
        if (tile < wholeTiles) {
            GemmKernel.fullTile(src, srcBase, taps, w, k0 * tapsPerRow, tapsPerRow, rows, bias, k0, plane0,
                    planeStride, j0, sink);
            return;
        }
        for (int j = j0; j < layout.flatLength; j += GemmKernel.LANES) {
            int lanes = Math.min(GemmKernel.LANES, layout.flatLength - j);
            GemmKernel.tile8x1(src, srcBase, taps, w, k0 * tapsPerRow, tapsPerRow, rows, bias, k0, plane0,
                    planeStride, j, lanes, sink);
        }
    }

    @Override
    public String describe() {
        String sizes = String.format(Locale.ROOT, "%d x %d x %d per image and group", rowsPerGroup, tapsPerRow,
                layout.flatLength);
        String head;
        if (layout.direct && g.kernelH() == 1 && g.kernelW() == 1) {
            head = "pointwise 1x1 as a plain GEMM on the input (" + sizes + ")";
        } else {
            String input = layout.describeSource("the input as it is");
            head = String.format(Locale.ROOT, "implicit GEMM on %s (%s; row width %d for %d outputs, %.1f%% of "
                    + "columns discarded)", input, sizes, layout.rowWidth, g.outWidth(), 100 * layout.wastedFraction());
        }
        // No lane count here: it depends on the machine (jconv info shows it), and this line should not.
        return head + String.format(Locale.ROOT, ", register tiles of %s, weights %s, %s",
                GemmKernel.tileShape(), !packWeights ? "read in place"
                        : cachesPacks ? "packed once per weight version" : "packed per call", threadCount())
                + (copiesPanels ? ", each tile's input copied into a panel first (tiles per copy: " + panelTiles + ")"
                        : "")
                + (postOp == PostOp.RELU ? ", ReLU fused into the output stores" : "");
    }

    /** The idle scratch (layout copies, packed weights), weights packed per version with their snapshot, tables. */
    @Override
    public long retainedBytes() {
        return buffers.idleBytes() + callPacks.idleBytes() + versionPacks.bytes() + layout.tableBytes()
                + stores.tableBytes();
    }

    @Override
    public void close() {
        super.close();
        buffers.clear();
        callPacks.clear();
        versionPacks.clear();
    }
}
