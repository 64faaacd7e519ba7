package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.backend.ConvPlan;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolution ({@code groups == in_channels}, any channel multiplier) as a direct kernel: each
 * output channel is a {@code kH x kW} stencil over one input channel, too little arithmetic per input value
 * for a GEMM to pay. Two ways, chosen per shape:
 * <ul>
 *   <li>along x: per task the input channel is written once into a per-thread {@link FlatLayout} plane (padding
 *       and stride phases applied, small enough to stay in L1/L2), then every output channel of its group is swept
 *       one output row at a time in vectors along x (a 3x3 stride-1 stencil four rows at a time, sharing loads
 *       between rows), so every store but a row's ragged end is a plain vector store;</li>
 *   <li>across channels ({@link #blockOfChannels}), for 3x3 with one output channel per input channel when rows
 *       are too narrow for vectors along x or the stride is not 1 ({@link #BLOCKED_MAX_OUT_WIDTH}): {@code LANES}
 *       channels at a time, pixel-interleaved so that one vector is one pixel of every channel.</li>
 * </ul>
 */
final class DepthwisePlan implements ConvPlan {
    private static final VectorSpecies<Float> F = GemmKernel.F;
    private static final int LANES = GemmKernel.LANES;
    /** Gather offsets of {@code LANES} consecutive pixels in a pixel-interleaved block. */
    private static final int[] PIXEL_OFFSETS = java.util.stream.IntStream.range(0, LANES).map(i -> i * LANES).toArray();
    private static final ThreadLocal<float[]> PLANE = ThreadLocal.withInitial(() -> new float[0]);
    /**
     * Stride-1 output rows at most this wide go channel-blocked: a row then fills at most one vector along x, so
     * vectors along x would run partly empty and spend as much on the ragged store and per-row overhead as on the
     * FMAs (960 channels 7x7: 0.188 ms along x, 0.060 blocked, one thread). Wider stride-1 rows stay along x,
     * where a row copy is one arraycopy and four rows share loads (144 channels 56x56: 0.22 ms along x, 0.42
     * blocked). Strided layers always go blocked, whose per-pixel gathers replace the stride-phase copy (96
     * channels 112x112/2: 0.47 to 0.57 ms along x with the vector deinterleave, 0.43 blocked; 144 56x56/2: 0.24
     * and 0.17; 2 threads).
     */
    static final int BLOCKED_MAX_OUT_WIDTH = 16;

    private final ConvGeometry g;
    private final FlatLayout layout;
    private final WorkerPool pool;
    private final int taps;
    private final boolean threeByThreeRows;
    private final boolean threeByThree;
    private final int columnStep;
    /**
     * Where a row's last vector starts: {@code outW - LANES}, so that a row of at least one vector ends in a full
     * vector overlapping the one before (recomputing a few equal values) and every store is a plain one; only rows
     * narrower than a vector store partial vectors.
     */
    private final int lastX;
    private final int channelsPerTask;
    /** 3x3, one output channel per input channel, narrow output: {@link #blockOfChannels} instead of {@link #channel}. */
    private final boolean channelBlocked;
    /** Padded rows and columns the stencil reads (channel-blocked path). */
    private final int paddedH;
    private final int paddedW;
    /** Input row / column each padded row / column reads, -1 for a zero (channel-blocked path). */
    private final int[] rowSource;
    private final int[] colSource;
    /**
     * Gather offsets of a block's channels in the input: {@code lane * inH * inW} for a full block; for the last,
     * partial block the lanes past the last channel read the block's first channel again (finite values, never stored).
     */
    private final int[] fullBlockOffsets;
    private final int[] lastBlockOffsets;
    private volatile boolean closed;

    DepthwisePlan(ConvGeometry g, WorkerPool pool) {
        this.g = g;
        this.pool = pool;
        this.layout = new FlatLayout(g);
        taps = g.kernelH() * g.kernelW();
        threeByThree = g.kernelH() == 3 && g.kernelW() == 3;
        threeByThreeRows = g.kernelH() == 3 && g.kernelW() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.dilationH() == 1;
        columnStep = g.dilationW();
        lastX = Math.max(0, g.outWidth() - LANES);
        int planes = g.batch() * g.inChannels();
        channelsPerTask = Math.max(1, FlatLayout.ceilDiv(planes, pool.threads() * 8));
        channelBlocked = g.kernelH() == 3 && g.kernelW() == 3 && g.outChannelsPerGroup() == 1
                && (g.outWidth() <= BLOCKED_MAX_OUT_WIDTH || g.strideH() > 1 || g.strideW() > 1);
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
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        CpuPlans.checkOpen(closed);
        CpuPlans.checkLengths(g, input, weight, bias, output);
        if (channelBlocked) {
            int blocks = FlatLayout.ceilDiv(g.inChannels(), LANES);
            pool.forEach(g.batch() * blocks, task -> blockOfChannels(input, weight, bias, output, task / blocks,
                    task % blocks * LANES, blockBuffer()));
            return;
        }
        int planes = g.batch() * g.inChannels();
        pool.forEach(FlatLayout.ceilDiv(planes, channelsPerTask), task -> {
            float[] plane = PLANE.get();
            if (plane.length < layout.channelStride + FlatLayout.SLACK) {
                plane = new float[layout.channelStride + FlatLayout.SLACK];
                PLANE.set(plane);
            }
            float[] spill = new float[LANES];
            for (int p = task * channelsPerTask, end = Math.min(planes, p + channelsPerTask); p < end; p++) {
                channel(input, weight, bias, output, p / g.inChannels(), p % g.inChannels(), plane, spill);
            }
        });
    }

    private void channel(float[] input, float[] w, float[] bias, float[] out, int n, int c, float[] plane,
                         float[] spill) {
        layout.fill(input, n, c, plane, 0);
        int multiplier = g.outChannelsPerGroup();
        int outH = g.outHeight();
        int outW = g.outWidth();
        int rowWidth = layout.rowWidth;
        for (int k = c * multiplier; k < (c + 1) * multiplier; k++) {
            int out0 = (n * g.outChannels() + k) * outH * outW;
            float b = bias == null ? 0f : bias[k];
            int oy = 0;
            if (threeByThreeRows) {
                for (; oy + 4 <= outH; oy += 4) {
                    for (int x0 = 0; x0 < outW; x0 += LANES) {
                        int x = Math.min(x0, lastX);
                        fourRows3x3(plane, oy * rowWidth + x, w, k * 9, b, out, out0 + oy * outW + x,
                                Math.min(LANES, outW - x), spill);
                    }
                }
            }
            if (threeByThree) {
                for (; oy < outH; oy++) {
                    oneRow3x3(plane, oy * rowWidth, w, k * 9, b, out, out0 + oy * outW, spill);
                }
            }
            for (; oy < outH; oy++) {
                for (int x0 = 0; x0 < outW; x0 += LANES) {
                    int x = Math.min(x0, lastX);
                    FloatVector a = FloatVector.broadcast(F, b);
                    int j = oy * rowWidth + x;
                    for (int t = 0; t < taps; t++) {
                        a = FloatVector.broadcast(F, w[k * taps + t])
                                .fma(FloatVector.fromArray(F, plane, j + layout.tapOffset[t]), a);
                    }
                    store(a, out, out0 + oy * outW + x, Math.min(LANES, outW - x), spill);
                }
            }
        }
    }

    private int[] channelOffsets(int lanes) {
        int[] offsets = new int[LANES];
        for (int lane = 0; lane < lanes; lane++) {
            offsets[lane] = lane * g.inHeight() * g.inWidth();
        }
        return offsets;
    }

    private float[] blockBuffer() {
        float[] buffer = PLANE.get();
        int length = (paddedH * paddedW + g.outHeight() * g.outWidth() + 10) * LANES;
        if (buffer.length < length) {
            buffer = new float[length];
            PLANE.set(buffer);
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
     * One output row of a 3x3 stencil, any stride and dilation (the taps are offsets into the phase planes): the
     * nine weights and tap offsets held in registers rather than re-read per vector as the general loop does.
     */
    private void oneRow3x3(float[] plane, int j, float[] w, int w0, float b, float[] out, int dst, float[] spill) {
        int[] t = layout.tapOffset;
        int t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7], t8 = t[8];
        FloatVector v0 = FloatVector.broadcast(F, w[w0]);
        FloatVector v1 = FloatVector.broadcast(F, w[w0 + 1]);
        FloatVector v2 = FloatVector.broadcast(F, w[w0 + 2]);
        FloatVector v3 = FloatVector.broadcast(F, w[w0 + 3]);
        FloatVector v4 = FloatVector.broadcast(F, w[w0 + 4]);
        FloatVector v5 = FloatVector.broadcast(F, w[w0 + 5]);
        FloatVector v6 = FloatVector.broadcast(F, w[w0 + 6]);
        FloatVector v7 = FloatVector.broadcast(F, w[w0 + 7]);
        FloatVector v8 = FloatVector.broadcast(F, w[w0 + 8]);
        FloatVector bv = FloatVector.broadcast(F, b);
        int outW = g.outWidth();
        for (int x0 = 0; x0 < outW; x0 += LANES) {
            int x = Math.min(x0, lastX);
            int o = j + x;
            FloatVector a = v0.fma(FloatVector.fromArray(F, plane, o + t0), bv);
            a = v1.fma(FloatVector.fromArray(F, plane, o + t1), a);
            a = v2.fma(FloatVector.fromArray(F, plane, o + t2), a);
            a = v3.fma(FloatVector.fromArray(F, plane, o + t3), a);
            a = v4.fma(FloatVector.fromArray(F, plane, o + t4), a);
            a = v5.fma(FloatVector.fromArray(F, plane, o + t5), a);
            a = v6.fma(FloatVector.fromArray(F, plane, o + t6), a);
            a = v7.fma(FloatVector.fromArray(F, plane, o + t7), a);
            a = v8.fma(FloatVector.fromArray(F, plane, o + t8), a);
            store(a, out, dst + x, Math.min(LANES, outW - x), spill);
        }
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

    /**
     * Four output rows of a 3x3, stride-1, row-dilation-1 stencil at once: the six input rows they read are
     * loaded once per column shift and each load feeds up to three rows (18 loads for 36 FMAs instead of 36),
     * with the nine weights held in registers.
     */
    private void fourRows3x3(float[] plane, int j, float[] w, int w0, float b, float[] out, int dst, int lanes,
                             float[] spill) {
        int rw = layout.rowWidth;
        FloatVector a0 = FloatVector.broadcast(F, b);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int s = 0; s < 3; s++) {
            FloatVector w0s = FloatVector.broadcast(F, w[w0 + s]);
            FloatVector w1s = FloatVector.broadcast(F, w[w0 + 3 + s]);
            FloatVector w2s = FloatVector.broadcast(F, w[w0 + 6 + s]);
            int o = j + s * columnStep;
            FloatVector i0 = FloatVector.fromArray(F, plane, o);
            FloatVector i1 = FloatVector.fromArray(F, plane, o + rw);
            FloatVector i2 = FloatVector.fromArray(F, plane, o + 2 * rw);
            FloatVector i3 = FloatVector.fromArray(F, plane, o + 3 * rw);
            FloatVector i4 = FloatVector.fromArray(F, plane, o + 4 * rw);
            FloatVector i5 = FloatVector.fromArray(F, plane, o + 5 * rw);
            a0 = w0s.fma(i0, a0);
            a0 = w1s.fma(i1, a0);
            a0 = w2s.fma(i2, a0);
            a1 = w0s.fma(i1, a1);
            a1 = w1s.fma(i2, a1);
            a1 = w2s.fma(i3, a1);
            a2 = w0s.fma(i2, a2);
            a2 = w1s.fma(i3, a2);
            a2 = w2s.fma(i4, a2);
            a3 = w0s.fma(i3, a3);
            a3 = w1s.fma(i4, a3);
            a3 = w2s.fma(i5, a3);
        }
        int outW = g.outWidth();
        store(a0, out, dst, lanes, spill);
        store(a1, out, dst + outW, lanes, spill);
        store(a2, out, dst + 2 * outW, lanes, spill);
        store(a3, out, dst + 3 * outW, lanes, spill);
    }

    /** The first {@code lanes} lanes of {@code v} to {@code out[dst ..]}: one plain store when all are wanted. */
    private static void store(FloatVector v, float[] out, int dst, int lanes, float[] spill) {
        if (lanes == LANES) {
            v.intoArray(out, dst);
        } else {
            v.intoArray(spill, 0);
            System.arraycopy(spill, 0, out, dst, lanes);
        }
    }

    @Override
    public String describe() {
        if (channelBlocked) {
            return String.format(Locale.ROOT,
                    "depthwise direct 3x3 stencil on blocks of %d channels copied pixel-interleaved (one vector holds"
                            + " one pixel of %d channels), %d thread%s",
                    LANES, LANES, pool.threads(), pool.threads() == 1 ? "" : "s");
        }
        return String.format(Locale.ROOT,
                "depthwise direct %dx%d stencil per channel (multiplier %d) on a padded per-thread copy of the channel"
                        + "%s, vectors along output rows, %d thread%s",
                g.kernelH(), g.kernelW(), g.outChannelsPerGroup(),
                threeByThreeRows ? ", four rows at a time sharing loads" : "",
                pool.threads(), pool.threads() == 1 ? "" : "s");
    }

    @Override
    public void close() {
        closed = true;
    }
}
