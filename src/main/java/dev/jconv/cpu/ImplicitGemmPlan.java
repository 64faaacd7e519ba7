package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.backend.ConvPlan;
import java.util.Locale;

/**
 * Convolution as a GEMM per image and group, {@code out[K/G x flat] = w[K/G x (C/G)RS] * taps[(C/G)RS x flat]},
 * where the right-hand matrix is never built: column {@code f}, row {@code t} is {@code layout[f + tapOffset[t]]}
 * ({@link FlatLayout}). For a 1x1 stride-1 unpadded convolution the layout is the input itself and this is a
 * plain GEMM on it.
 *
 * <p>Work is cut into tasks of (image, group, block of output channels, run of flat tiles). Inside a task the
 * tile loop is outside the channel loop, so the input a tile reads stays in L1/L2 while every channel block
 * uses it; the channel blocks of one task are sized so their weight rows (read in place) fit in L2.
 */
final class ImplicitGemmPlan implements ConvPlan {
    /** Weight bytes one task's channel blocks may keep in L2 (half of a 2 MB L2, the rest is the input). */
    private static final int WEIGHT_BYTES_PER_TASK = 1 << 20;
    /** Aim for this many tasks per thread so dynamic scheduling can even out ragged tiles. */
    private static final int TASKS_PER_THREAD = 8;
    /**
     * Pack the weights when every packed weight is used for at least this many flat columns (per batch): packing
     * costs about a load and a store per weight, against 2 FLOPs per weight and column, and speeds the kernel
     * by a third. The 512x3x3x512 layer on 7x7 (61 columns) reads its 9 MB of weights in place instead.
     */
    static final int PACK_MIN_COLUMNS = 512;

    private final ConvGeometry g;
    private final FlatLayout layout;
    private final VectorStores stores;
    private final WorkerPool pool;
    private final ScratchPool buffers = new ScratchPool();
    private final ScratchPool packs = new ScratchPool();
    private final boolean packWeights;
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
    private volatile boolean closed;

    ImplicitGemmPlan(ConvGeometry g, WorkerPool pool) {
        this(g, pool, PACK_MIN_COLUMNS);
    }

    /** Tests set {@code packMinColumns} to 0 or {@link Integer#MAX_VALUE} to force either weight layout. */
    ImplicitGemmPlan(ConvGeometry g, WorkerPool pool, int packMinColumns) {
        this.g = g;
        this.pool = pool;
        this.layout = new FlatLayout(g);
        this.stores = new VectorStores(layout);
        rowsPerGroup = g.outChannelsPerGroup();
        tapsPerRow = layout.tapOffset.length;
        blocksPerGroup = FlatLayout.ceilDiv(rowsPerGroup, GemmKernel.ROWS);
        blocksPerChunk = Math.max(1, Math.min(blocksPerGroup,
                WEIGHT_BYTES_PER_TASK / (GemmKernel.ROWS * tapsPerRow * Float.BYTES)));
        channelChunks = FlatLayout.ceilDiv(blocksPerGroup, blocksPerChunk);
        fullTiles = layout.flatLength / GemmKernel.WIDTH;
        tileCount = fullTiles + (layout.flatLength % GemmKernel.WIDTH == 0 ? 0 : 1);
        int outerTasks = g.batch() * g.groups() * channelChunks;
        int wanted = pool.threads() == 1 ? 1 : pool.threads() * TASKS_PER_THREAD;
        int split = Math.max(1, Math.min(tileCount, FlatLayout.ceilDiv(wanted, outerTasks)));
        tilesPerChunk = FlatLayout.ceilDiv(tileCount, split);
        tileChunks = FlatLayout.ceilDiv(tileCount, tilesPerChunk);
        int planes = g.batch() * g.inChannels();
        fillChunk = Math.max(1, FlatLayout.ceilDiv(planes, pool.threads() * TASKS_PER_THREAD));
        packWeights = (long) layout.flatLength * g.batch() >= packMinColumns;
        int blocks = g.groups() * blocksPerGroup;
        packedLength = packWeights ? blocks * tapsPerRow * GemmKernel.ROWS : 0;
        packChunk = Math.max(1, FlatLayout.ceilDiv(blocks, pool.threads() * TASKS_PER_THREAD));
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        CpuPlans.checkOpen(closed);
        CpuPlans.checkLengths(g, input, weight, bias, output);
        float[] src = layout.direct ? input : buffers.take(layout.bufferLength());
        float[] packed = packWeights ? packs.take(packedLength) : null;
        // One parallel pass prepares both operands: the input's layout copy and the packed weights.
        int planes = g.batch() * g.inChannels();
        int fillTasks = layout.direct ? 0 : FlatLayout.ceilDiv(planes, fillChunk);
        int blocks = g.groups() * blocksPerGroup;
        int packTasks = packWeights ? FlatLayout.ceilDiv(blocks, packChunk) : 0;
        pool.forEach(fillTasks + packTasks, task -> {
            if (task < fillTasks) {
                for (int p = task * fillChunk, end = Math.min(planes, p + fillChunk); p < end; p++) {
                    layout.fill(input, p / g.inChannels(), p % g.inChannels(), src, p * layout.channelStride);
                }
            } else {
                int first = (task - fillTasks) * packChunk;
                for (int b = first, end = Math.min(blocks, first + packChunk); b < end; b++) {
                    int group = b / blocksPerGroup;
                    int m0 = (b % blocksPerGroup) * GemmKernel.ROWS;
                    GemmKernel.pack(weight, group * rowsPerGroup + m0, Math.min(GemmKernel.ROWS, rowsPerGroup - m0),
                            tapsPerRow, packed, b * tapsPerRow * GemmKernel.ROWS);
                }
            }
        });
        int tasks = g.batch() * g.groups() * channelChunks * tileChunks;
        pool.forEach(tasks, task -> runTask(task, src, weight, packed, bias, output));
        if (!layout.direct) {
            buffers.give(src);
        }
        if (packWeights) {
            packs.give(packed);
        }
    }

    private void runTask(int task, float[] src, float[] w, float[] packed, float[] bias, float[] out) {
        int tileChunk = task % tileChunks;
        int rest = task / tileChunks;
        int channelChunk = rest % channelChunks;
        rest /= channelChunks;
        int group = rest % g.groups();
        int n = rest / g.groups();

        int srcBase = n * layout.imageStride + group * g.inChannelsPerGroup() * layout.channelStride;
        int planeStride = g.outHeight() * g.outWidth();
        int firstBlock = channelChunk * blocksPerChunk;
        int lastBlock = Math.min(blocksPerGroup, firstBlock + blocksPerChunk);
        int firstTile = tileChunk * tilesPerChunk;
        int lastTile = Math.min(tileCount, firstTile + tilesPerChunk);
        int[] taps = layout.tapOffset;
        float[] spill = VectorStores.newSpill();
        for (int tile = firstTile; tile < lastTile; tile++) {
            int j0 = tile * GemmKernel.WIDTH;
            for (int block = firstBlock; block < lastBlock; block++) {
                int m0 = block * GemmKernel.ROWS;
                int rows = Math.min(GemmKernel.ROWS, rowsPerGroup - m0);
                int k0 = group * rowsPerGroup + m0;
                int plane0 = (n * g.outChannels() + k0) * planeStride;
                int wp0 = (group * blocksPerGroup + block) * tapsPerRow * GemmKernel.ROWS;
                if (tile < fullTiles) {
                    if (packed != null) {
                        GemmKernel.tile8x3Packed(src, srcBase, taps, packed, wp0, rows, bias, k0, out, plane0,
                                planeStride, j0, stores, spill);
                    } else {
                        GemmKernel.tile8x3(src, srcBase, taps, w, k0 * tapsPerRow, tapsPerRow, rows, bias, k0, out,
                                plane0, planeStride, j0, stores, spill);
                    }
                    continue;
                }
                for (int j = j0; j < layout.flatLength; j += GemmKernel.LANES) {
                    int lanes = Math.min(GemmKernel.LANES, layout.flatLength - j);
                    if (packed != null) {
                        GemmKernel.tile8x1Packed(src, srcBase, taps, packed, wp0, rows, bias, k0, out, plane0,
                                planeStride, j, lanes, stores, spill);
                    } else {
                        GemmKernel.tile8x1(src, srcBase, taps, w, k0 * tapsPerRow, tapsPerRow, rows, bias, k0, out,
                                plane0, planeStride, j, lanes, stores, spill);
                    }
                }
            }
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
            boolean padded = g.padTop() + g.padBottom() + g.padLeft() + g.padRight() > 0;
            boolean strided = g.strideH() > 1 || g.strideW() > 1;
            String input = layout.direct ? "the input as it is"
                    : "a copy of the input" + (padded ? " padded (" + g.paddingMode().pytorchName() + ")" : "")
                    + (padded && strided ? " and" : "")
                    + (strided ? " split into " + g.strideH() + "x" + g.strideW() + " stride phases" : "");
            head = String.format(Locale.ROOT, "implicit GEMM on %s (%s; row width %d for %d outputs, %.1f%% of "
                    + "columns discarded)", input, sizes, layout.rowWidth, g.outWidth(), 100 * layout.wastedFraction());
        }
        // No lane count here: it depends on the machine (jconv info shows it), and this line should not.
        return head + String.format(Locale.ROOT, ", register tiles of %d channels x 3 vectors, weights %s, %d thread%s",
                GemmKernel.ROWS, packWeights ? "packed per call" : "read in place", pool.threads(),
                pool.threads() == 1 ? "" : "s");
    }

    @Override
    public void close() {
        closed = true;
        buffers.clear();
        packs.clear();
    }
}
