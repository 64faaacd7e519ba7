package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import java.util.Locale;

/**
 * A 3x3, stride-1, undilated convolution on small maps by Winograd's F(2x2, 3x3) ({@link Winograd2x2Transforms}
 * has the math): (1) per input channel, the 4x4 input tile of every 2x2 block of outputs, across the batch, is
 * gathered (padding resolved through precomputed source indices) and transformed on vectors of tiles,
 * {@code V[xi][c][tile]}; (2) 16 GEMMs per group, {@code M[xi][k][tile] = sum_c U[xi][k][c] * V[xi][c][tile]}, on
 * {@link ChannelGemmKernel} (vectors along output channels, tiles as its pixels: the calls have few tiles);
 * (3) per output channel, every {@code M} tile transformed back into its 2x2 outputs plus bias. The filters'
 * transform {@code U} is made once per weight version ({@link WeightCache}).
 *
 * <p>For the maps where {@link WinogradPlan}'s F(4x4, 3x3) has too few tiles ({@link #suits}): ResNet's
 * 512-channel 3x3 layers on 7x7 at batch 1 have 4 of its tiles, and its transformed filters, 4x the weights (38
 * MB), would be read for 4 tiles; here 16 tiles share filters 16/9 the weights, for 2.25x fewer multiplications
 * than the direct convolution.
 */
final class Winograd2x2Plan extends CpuPlan {
    private static final int LANES = GemmKernel.LANES;
    private static final int XI = Winograd2x2Transforms.T * Winograd2x2Transforms.T;
    /**
     * Channels per group, in and out, from which {@link #suits} picks this plan. Measured against the plans the
     * backend ran before (2-core AMD EPYC with AVX-512, both builds in one JVM, alternating; 2 threads / 1 thread):
     * 7x7 maps, 512 channels 0.87x / 0.74x (2.02 -> 1.75 ms at 2 threads), at batch 2 0.65x / 0.76x, 256 channels
     * 0.70x / 0.73x, 128 0.69x / 0.85x; but 64 channels 1.16x / 1.10x (the implicit GEMM's time there).
     */
    static final int MIN_CHANNELS = 128;
    /**
     * Tiles per call (all images) up to which this plan runs: 7x7 maps up to batch 4, from where {@link WinogradPlan}
     * has the 16 tiles it needs. Larger calls were not measured.
     */
    static final int MAX_TILES = 64;

    private final ChannelGemmKernel kernel;
    private final int tileRows;
    private final int tileCols;
    private final int tilesPerImage;
    private final int columns;
    /** Floats per channel row of {@code V} and {@code M}: the tiles rounded up to vectors, plus slack. */
    private final int rowStride;
    private final int cpg;
    private final int kpg;
    private final int blockWidth;
    private final int blocksPerGroup;
    private final int[] rowSource;
    private final int[] colSource;
    /** {@code U}: array {@code xi * blocks + b} holds channel block {@code b} of {@code xi} as {@code [c][block]}. */
    private final WeightCache<float[][]> filters;
    private final ScratchPool transformed;
    private final ScratchPool products;

    /** 3x3, stride 1, undilated, not depthwise: what F(2x2, 3x3) computes. */
    static boolean eligible(ConvGeometry g) {
        return g.kernelH() == 3 && g.kernelW() == 3 && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1
                && g.dilationW() == 1 && !g.isDepthwise() && tiles(g) <= MAX_TILES;
    }

    /** Eligible, with at least {@value #MIN_CHANNELS} channels per group in and out. */
    static boolean suits(ConvGeometry g) {
        return eligible(g) && g.inChannelsPerGroup() >= MIN_CHANNELS && g.outChannelsPerGroup() >= MIN_CHANNELS;
    }

    private static long tiles(ConvGeometry g) {
        return (long) g.batch() * FlatLayout.ceilDiv(g.outHeight(), 2) * FlatLayout.ceilDiv(g.outWidth(), 2);
    }

    Winograd2x2Plan(ConvGeometry g, WorkerPool pool) {
        this(g, pool, ChannelGemmKernel.forMachine());
    }

    Winograd2x2Plan(ConvGeometry g, WorkerPool pool, ChannelGemmKernel kernel) {
        super(g, pool);
        this.kernel = kernel;
        tileRows = FlatLayout.ceilDiv(g.outHeight(), 2);
        tileCols = FlatLayout.ceilDiv(g.outWidth(), 2);
        tilesPerImage = tileRows * tileCols;
        columns = g.batch() * tilesPerImage;
        // slack: a vector, and at least a kernel tile past the last column
        rowStride = FlatLayout.roundUp(columns, LANES) + FlatLayout.roundUp(Math.max(LANES, 8), LANES);
        cpg = g.inChannelsPerGroup();
        kpg = g.outChannelsPerGroup();
        blockWidth = kernel.channels();
        blocksPerGroup = FlatLayout.ceilDiv(kpg, blockWidth);
        rowSource = new int[2 * tileRows + 2];
        for (int y = 0; y < rowSource.length; y++) {
            rowSource[y] = y < g.inHeight() + g.padTop() + g.padBottom()
                    ? g.paddingMode().sourceIndex(y - g.padTop(), g.inHeight()) : -1;
        }
        colSource = new int[2 * tileCols + 2];
        for (int x = 0; x < colSource.length; x++) {
            colSource[x] = x < g.inWidth() + g.padLeft() + g.padRight()
                    ? g.paddingMode().sourceIndex(x - g.padLeft(), g.inWidth()) : -1;
        }
        filters = WeightCache.ofBlocks(this::transformFilters);
        transformed = new ScratchPool(pool.threads());
        products = new ScratchPool(pool.threads());
    }

    @Override
    void compute(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        float[] v = transformed.take(XI * g.inChannels() * rowStride);
        float[] m = products.take(XI * g.outChannels() * rowStride);
        try {
            pool.forEach(g.inChannels(), c -> transformInputs(input, c, v));
            filters.forEachTask(weight, weightVersion, pool, XI * g.groups(), (task, u) -> multiply(task, v, u, m));
            pool.forEach(g.outChannels(), k -> transformOutputs(m, k, bias, output));
        } finally {
            transformed.give(v);
            products.give(m);
        }
    }

    /** Step 1 for input channel {@code c}: per {@code LANES} tiles, their 4x4 inputs gathered, then transformed. */
    private void transformInputs(float[] input, int c, float[] v) {
        float[] patch = WinogradPlan.scratch().patch; // at least XI * LANES floats
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
                int y0 = 2 * (tile / tileCols);
                int x0 = 2 * (tile % tileCols);
                int plane = (t / tilesPerImage * g.inChannels() + c) * g.inHeight() * width;
                for (int r = 0, e = lane; r < 4; r++) {
                    int sy = rowSource[y0 + r];
                    for (int i = 0; i < 4; i++, e += LANES) {
                        int sx = colSource[x0 + i];
                        patch[e] = sy < 0 || sx < 0 ? 0f : input[plane + sy * width + sx];
                    }
                }
            }
            Winograd2x2Transforms.input(patch, v, c * rowStride + t0, xiStride);
        }
    }

    /** Step 2, GEMM {@code xi} of one group ({@link WinogradPlan#multiplyTiles}). */
    private void multiply(int task, float[] v, float[][] u, float[] m) {
        int xi = task / g.groups();
        int group = task % g.groups();
        WinogradPlan.multiplyTiles(kernel, v, (xi * g.inChannels() + group * cpg) * rowStride, rowStride, columns,
                cpg, kpg, u, xi * g.groups() * blocksPerGroup, 1, group * blocksPerGroup, m,
                (xi * g.outChannels() + group * kpg) * rowStride);
    }

    /** Step 3 for output channel {@code k}: per {@code LANES} tiles, transformed, each tile's outputs stored. */
    private void transformOutputs(float[] m, int k, float[] bias, float[] output) {
        float[] y = WinogradPlan.scratch().y; // at least 4 * LANES floats
        float b = bias == null ? 0f : bias[k];
        int xiStride = g.outChannels() * rowStride;
        int oh = g.outHeight();
        int ow = g.outWidth();
        for (int t0 = 0; t0 < columns; t0 += LANES) {
            Winograd2x2Transforms.output(m, k * rowStride + t0, xiStride, b, y);
            for (int lane = 0, end = Math.min(LANES, columns - t0); lane < end; lane++) {
                int t = t0 + lane;
                int tile = t % tilesPerImage;
                int y0 = 2 * (tile / tileCols);
                int x0 = 2 * (tile % tileCols);
                int at = (t / tilesPerImage * g.outChannels() + k) * oh * ow + y0 * ow + x0;
                output[at] = y[lane];
                if (x0 + 1 < ow) {
                    output[at + 1] = y[LANES + lane];
                }
                if (y0 + 1 < oh) {
                    output[at + ow] = y[2 * LANES + lane];
                    if (x0 + 1 < ow) {
                        output[at + ow + 1] = y[3 * LANES + lane];
                    }
                }
            }
        }
    }

    /**
     * {@code U} for every filter: per {@code xi} and block of output channels one array {@code [c][blockWidth]},
     * zero past the group's last channel; the blocks transformed in parallel.
     */
    private float[][] transformFilters(float[] weight) {
        int blocks = g.groups() * blocksPerGroup;
        float[][] u = new float[XI * blocks][];
        pool.forEach(blocks, b -> {
            float[][] ub = new float[XI][];
            for (int xi = 0; xi < XI; xi++) {
                ub[xi] = new float[cpg * blockWidth];
                u[xi * blocks + b] = ub[xi];
            }
            int group = b / blocksPerGroup;
            int k0 = (b % blocksPerGroup) * blockWidth;
            for (int k = k0, end = Math.min(kpg, k0 + blockWidth); k < end; k++) {
                for (int c = 0; c < cpg; c++) {
                    Winograd2x2Transforms.filter(weight, ((group * kpg + k) * cpg + c) * 9, ub,
                            c * blockWidth + k - k0);
                }
            }
        });
        return u;
    }

    @Override
    public String describe() {
        boolean padded = g.padTop() + g.padBottom() + g.padLeft() + g.padRight() > 0;
        return String.format(Locale.ROOT, "Winograd F(2x2,3x3) on %s: %d x %d tiles per image, 16 GEMMs of %d x %d x %d"
                        + " per group, register tiles of %d channels x %d tiles, transforms on vectors of tiles, "
                        + "weights transformed once per weight version, %s",
                padded ? "the input padded (" + g.paddingMode().pytorchName() + ")" : "the input", tileRows, tileCols,
                kpg, cpg, columns, kernel.channels(), kernel.pixels, threadCount());
    }

    /** The idle {@code V} and {@code M}, the transformed filters with their weight snapshot, the index tables. */
    @Override
    public long retainedBytes() {
        return transformed.idleBytes() + products.idleBytes() + filters.bytes()
                + (long) Integer.BYTES * (rowSource.length + colSource.length);
    }

    @Override
    public void close() {
        super.close();
        transformed.clear();
        products.clear();
        filters.clear();
    }
}
