package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 3x3 depthwise convolution with one output channel per input channel (any stride, dilation, padding) across
 * channels ({@link #blockOfChannels}): {@code LANES} channels at a time, pixel-interleaved so that one vector is one
 * pixel of every channel and each output pixel is nine FMAs whatever the stride. Chosen ({@link #suits}) where rows
 * are too narrow for vectors along x ({@link DepthwiseRowsPlan}), except for MobileNet's layers, which that plan reads
 * in place ({@link DepthwiseInPlaceKernels}: 576 channels 14x14 0.052 ms against 0.202 here, 960 7x7 0.077 against
 * 0.084, 192 28x28/2 0.093 against 0.18, 576 14x14/2 0.13 against 0.15; one thread).
 */
final class DepthwiseChannelBlockPlan extends CpuPlan {
    private static final VectorSpecies<Float> F = GemmKernel.F;
    private static final int LANES = GemmKernel.LANES;
    /** Gather offsets of {@code LANES} consecutive pixels in a pixel-interleaved block. */
    private static final int[] PIXEL_OFFSETS = java.util.stream.IntStream.range(0, LANES).map(i -> i * LANES).toArray();
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[0]);
    /**
     * Output rows at most this wide go channel-blocked: a row then fills at most one vector along x, so vectors along
     * x would run partly empty and spend as much on the ragged store and per-row overhead as on the FMAs (960
     * channels 7x7: 0.188 ms along x, 0.060 blocked, one thread). Wider rows go along x
     * ({@link DepthwiseRowsPlan}), where a row copy is one arraycopy (or, at stride 2, a vector deinterleave) and
     * four rows share loads (144 channels 56x56: 0.22 ms along x, 0.42 blocked), strided ones included: the
     * blocked plan's per-pixel 16-channel gathers are slow on AMD's EPYC (2-core EPYC with AVX-512, one JVM,
     * alternating rounds, blocked against along x, ms: 96 channels 112x112/2 1.67 / 1.04 at one thread, 0.95 / 0.60
     * at two; 144 56x56/2 0.53 / 0.42 and 0.32 / 0.22; but 192 28x28/2, 14 outputs wide, 0.17 / 0.38 and 0.11 /
     * 0.20, and 576 14x14/2 0.15 / 0.46).
     */
    static final int BLOCKED_MAX_OUT_WIDTH = 16;

    /** Padded rows and columns the stencil reads. */
    private final int paddedH;
    private final int paddedW;
    /** Input row / column each padded row / column reads, -1 for a zero. */
    private final int[] rowSource;
    private final int[] colSource;
    /**
     * Gather offsets of a block's channels in the input: {@code lane * inH * inW} for a full block; for the last,
     * partial block the lanes past the last channel read the block's first channel again (finite values, never stored).
     */
    private final int[] fullBlockOffsets;
    private final int[] lastBlockOffsets;

    /** 3x3, multiplier 1, and output rows of at most {@link #BLOCKED_MAX_OUT_WIDTH}. */
    static boolean suits(ConvGeometry g) {
        return g.isDepthwise() && g.kernelH() == 3 && g.kernelW() == 3 && g.outChannelsPerGroup() == 1
                && g.outWidth() <= BLOCKED_MAX_OUT_WIDTH;
    }

    DepthwiseChannelBlockPlan(ConvGeometry g, WorkerPool pool) {
        super(g, pool);
        paddedH = (g.outHeight() - 1) * g.strideH() + 2 * g.dilationH() + 1;
        paddedW = (g.outWidth() - 1) * g.strideW() + 2 * g.dilationW() + 1;
        rowSource = new int[paddedH];
        colSource = new int[paddedW];
        for (int y = 0; y < paddedH; y++) {
            rowSource[y] = g.paddingMode().sourceIndex(y - g.padTop(), g.inHeight());
        }
        for (int x = 0; x < paddedW; x++) {
            colSource[x] = g.paddingMode().sourceIndex(x - g.padLeft(), g.inWidth());
        }
        fullBlockOffsets = channelOffsets(LANES);
        lastBlockOffsets = channelOffsets(g.inChannels() - (FlatLayout.ceilDiv(g.inChannels(), LANES) - 1) * LANES);
    }

    @Override
    void compute(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        int blocks = FlatLayout.ceilDiv(g.inChannels(), LANES);
        pool.forEach(g.batch() * blocks, task -> blockOfChannels(input, weight, bias, output, task / blocks,
                task % blocks * LANES, blockBuffer()));
    }

    private int[] channelOffsets(int lanes) {
        int[] offsets = new int[LANES];
        for (int lane = 0; lane < lanes; lane++) {
            offsets[lane] = lane * g.inHeight() * g.inWidth();
        }
        return offsets;
    }
    private float[] blockBuffer() {
        float[] buffer = BLOCK.get();
        int length = (paddedH * paddedW + g.outHeight() * g.outWidth() + 10) * LANES;
        if (buffer.length < length) {
            buffer = new float[length];
            BLOCK.set(buffer);
        }
        return buffer;
    }
    /**
     * A 3x3 depthwise stencil (multiplier 1, any stride, dilation, padding) on {@code LANES} channels at once,
     * for planes too narrow for vectors along x or strided: the channels {@code c0 ..} of image {@code n} are
     * copied pixel-interleaved ({@code packed[(y * paddedW + x) * LANES + lane]}, padding applied), so one vector
     * holds one pixel of every channel of the block and each output pixel is nine FMAs with the nine weight vectors
     * held in registers, whatever the stride; results go to a pixel-interleaved block and are copied back to
     * NCHW. Lanes past the last channel compute with zero weights on the block's first channel and are not written.
     */
    private void blockOfChannels(float[] input, float[] w, float[] bias, float[] out, int n, int c0, float[] buf) {
        int channels = g.inChannels();
        int lanes = Math.min(LANES, channels - c0);
        int outH = g.outHeight();
        int outW = g.outWidth();
        int outPlane = outH * outW;
        int outBase = paddedH * paddedW * LANES;
        int weightBase = outBase + outPlane * LANES;
        int biasBase = weightBase + 9 * LANES;
        int inW = g.inWidth();
        int inPlane = g.inHeight() * inW;
        int[] offsets = lanes == LANES ? fullBlockOffsets : lastBlockOffsets;
        int src = (n * channels + c0) * inPlane;
        for (int lane = 0; lane < LANES; lane++) {
            int c = c0 + lane;
            for (int t = 0; t < 9; t++) {
                buf[weightBase + t * LANES + lane] = lane < lanes ? w[c * 9 + t] : 0f;
            }
            buf[biasBase + lane] = lane >= lanes || bias == null ? 0f : bias[c];
        }

        int rowStep = paddedW * LANES;
        int dx = g.dilationW() * LANES;
        int dy = g.dilationH() * rowStep;
        int xStep = g.strideW() * LANES;
        int yStep = g.strideH() * rowStep;
        // Rows are interleaved just before the first output row that reads them, so they are still in L1/L2.
        int packed = 0;
        int unpacked = 0;
        for (int oy = 0, dst = outBase; oy < outH; oy++) {
            int need = oy * g.strideH() + 2 * g.dilationH() + 1;
            interleaveRows(input, src, offsets, packed, need, buf);
            packed = need;
            stencilRow(buf, weightBase, biasBase, oy * yStep, dst, outW, dx, dy, xStep);
            dst += outW * LANES;
            // Back to NCHW every few rows while the block's output is still in L1 (whole vectors of pixels only).
            int ready = (oy + 1) * outW / LANES * LANES;
            if (ready - unpacked >= 4 * LANES) {
                unpacked = copyOut(buf, outBase, out, (n * channels + c0) * outPlane, lanes, unpacked, ready);
            }
        }

        copyOut(buf, outBase, out, (n * channels + c0) * outPlane, lanes, unpacked, outPlane);
    }
    /**
     * One output row of the channel-blocked 3x3 stencil: output pixels {@code buf[dst ..]}, {@code LANES} floats each,
     * from interleaved input pixels starting at {@code buf[p0]}. A method of its own, small enough for C2 to inline
     * every Vector API call: inside the long {@link #blockOfChannels} the same loop made 384 channels 14x14 take
     * 0.168 ms instead of 0.094 (one thread).
     */
    private static void stencilRow(float[] buf, int weightBase, int biasBase, int p0, int dst, int outW, int dx,
                                   int dy, int xStep) {
        FloatVector w0 = FloatVector.fromArray(F, buf, weightBase);
        FloatVector w1 = FloatVector.fromArray(F, buf, weightBase + LANES);
        FloatVector w2 = FloatVector.fromArray(F, buf, weightBase + 2 * LANES);
        FloatVector w3 = FloatVector.fromArray(F, buf, weightBase + 3 * LANES);
        FloatVector w4 = FloatVector.fromArray(F, buf, weightBase + 4 * LANES);
        FloatVector w5 = FloatVector.fromArray(F, buf, weightBase + 5 * LANES);
        FloatVector w6 = FloatVector.fromArray(F, buf, weightBase + 6 * LANES);
        FloatVector w7 = FloatVector.fromArray(F, buf, weightBase + 7 * LANES);
        FloatVector w8 = FloatVector.fromArray(F, buf, weightBase + 8 * LANES);
        FloatVector b = FloatVector.fromArray(F, buf, biasBase);
    for (int ox = 0, p = p0; ox < outW; ox++, p += xStep, dst += LANES) {
            FloatVector a = w0.fma(FloatVector.fromArray(F, buf, p), b);
            a = w1.fma(FloatVector.fromArray(F, buf, p + dx), a);
            a = w2.fma(FloatVector.fromArray(F, buf, p + 2 * dx), a);
            a = w3.fma(FloatVector.fromArray(F, buf, p + dy), a);
            a = w4.fma(FloatVector.fromArray(F, buf, p + dy + dx), a);
            a = w5.fma(FloatVector.fromArray(F, buf, p + dy + 2 * dx), a);
            a = w6.fma(FloatVector.fromArray(F, buf, p + 2 * dy), a);
            a = w7.fma(FloatVector.fromArray(F, buf, p + 2 * dy + dx), a);
            a = w8.fma(FloatVector.fromArray(F, buf, p + 2 * dy + 2 * dx), a);
            a.intoArray(buf, dst);
        }
    }
    /**
     * Output pixels {@code [from, to)} of the block's {@code lanes} channels, from the pixel-interleaved block at
     * {@code buf[outBase]} back to NCHW at {@code out[dst0 + lane * outPlane]}: {@code LANES} pixels of one channel
     * per gather, the ragged end ({@code to - from} not a multiple of {@code LANES}) one by one. Returns where it
     * stopped: {@code to}.
     */
    private int copyOut(float[] buf, int outBase, float[] out, int dst0, int lanes, int from, int to) {
        int outPlane = g.outHeight() * g.outWidth();
        for (int lane = 0; lane < lanes; lane++) {
            int dst = dst0 + lane * outPlane;
            int q = from;
            for (; q + LANES <= to; q += LANES) {
                FloatVector.fromArray(F, buf, outBase + q * LANES + lane, PIXEL_OFFSETS, 0).intoArray(out, dst + q);
            }
            for (int i = outBase + q * LANES + lane; q < to; q++, i += LANES) {
                out[dst + q] = buf[i];
            }
        }
        return to;
    }
    /**
     * Padded rows {@code [from, to)} of the channel block whose first channel starts at {@code input[src]},
     * pixel-interleaved into {@code buf}: one gather per pixel (one value from each channel of the block) or zeros.
     */
    private void interleaveRows(float[] input, int src, int[] offsets, int from, int to, float[] buf) {
        FloatVector zero = FloatVector.zero(F);
        int inW = g.inWidth();
        for (int y = from, d = from * paddedW * LANES; y < to; y++) {
            int sy = rowSource[y];
            if (sy < 0) {
                for (int x = 0; x < paddedW; x++, d += LANES) {
                    zero.intoArray(buf, d);
                }
                continue;
            }
            int row = src + sy * inW;
            for (int x = 0; x < paddedW; x++, d += LANES) {
                int sx = colSource[x];
                if (sx < 0) {
                    zero.intoArray(buf, d);
                } else {
                    FloatVector.fromArray(F, input, row + sx, offsets, 0).intoArray(buf, d);
                }
            }
        }
    }

    /** The index tables only: the per-thread blocks are shared by every plan, not kept by this one. */
    @Override
    public long retainedBytes() {
        return (long) Integer.BYTES * (rowSource.length + colSource.length + fullBlockOffsets.length
                + lastBlockOffsets.length);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT,
                "depthwise direct 3x3 stencil on blocks of %d channels copied pixel-interleaved (one vector holds"
                        + " one pixel of %d channels), %s",
                LANES, LANES, threadCount());
    }

}
