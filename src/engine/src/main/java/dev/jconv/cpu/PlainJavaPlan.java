package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;
import dev.jconv.PaddingMode;
import dev.jconv.backend.ConvPlan;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The {@code cpu} backend's path when the JVM runs without {@code jdk.incubator.vector}: multi-threaded plain Java,
 * its inner loop shaped so that HotSpot's C2 compiler vectorizes it itself (SuperWord). No class here touches the
 * Vector API, so it loads on any JVM.
 *
 * <p>Math, per image {@code n} and output channel {@code k} of group {@code g}:
 * {@code out[n,k,y,x] = bias[k] + sum over c, r, s of w[k,c,r,s] * P[n, g*C/G + c, y*strideH + r*dilationH,
 * x*strideW + s*dilationW]}, where {@code P} is the input padded ({@code Hp x Wp} per channel) through
 * {@link PaddingMode#sourceIndex}, made once per call.
 *
 * <p>Loop shape: for a run of up to {@value #RUN} output positions, each tap {@code (c, r, s)} first gathers the
 * input values those positions read into {@code x[0..run)}, then every output channel of a block of
 * {@value #CHANNELS_PER_BLOCK} does {@code acc_k[i] += w[k,c,r,s] * x[i]}. That loop is the one C2 vectorizes: on
 * JDK 17 it does so only when both arrays are indexed by the same {@code i} (measured here, 2-core AMD EPYC with
 * AVX-512, per thread CPU time: a loop reading {@code in[from + i]} straight from the padded input ran scalar at
 * about 7 GFLOP/s; gather then {@code acc[i] += w * x[i]} over eight channels ran at 24-25). The gather is shared by
 * the block's channels, and the block's accumulators and the gathered run stay in L1 (9 x 2 KB).
 *
 * <p>Stride 1: output rows are computed {@code Wp} wide, so flat output position {@code f = y*Wp + x} reads
 * {@code P[c][f + r*dilationH*Wp + s*dilationW]}: each tap's gather is one {@code System.arraycopy}, and a run spans
 * rows; the {@code Wp - outWidth} extra columns per row are dropped when a run is written out. Other strides: a run
 * is part of one output row and the gather is a strided copy.
 *
 * <p>Work is split over {@link WorkerPool} by image, block of output channels (within a group) and run;
 * accumulation is in float, in the same order for every position.
 */
final class PlainJavaPlan implements ConvPlan {
    /** Output positions per run: the accumulators and the gathered inputs of one block fit L1 (9 x 2 KB). */
    static final int RUN = 512;
    static final int CHANNELS_PER_BLOCK = 8;

    private final ConvGeometry g;
    private final WorkerPool pool;
    private final int paddedH;
    private final int paddedW;
    private final int plane;
    /** Stride 1: every output row computed {@code paddedW} wide, one flat space per image. */
    private final boolean wideRows;
    /** Stride 1: flat positions computed ({@code (outHeight - 1) * Wp + outWidth}); else output row length. */
    private final int spaceLength;
    private final int runsPerSpace;
    private final int runsPerImage;
    private final int blocksPerGroup;
    private final int tasksPerImage;
    /** Per task: {@link #CHANNELS_PER_BLOCK} accumulator runs and one gathered run, reused across calls. */
    private final ConcurrentLinkedQueue<float[][]> workspaces = new ConcurrentLinkedQueue<>();
    private final ScratchPool paddedInputs;
    /** Why these loops run rather than the vector kernels, for {@link #describe()}. */
    private final String reason;
    private final PostOp postOp;

    /** The plan for a JVM without the Vector API. */
    PlainJavaPlan(ConvGeometry g, WorkerPool pool) {
        this(g, pool, PostOp.NONE);
    }

    PlainJavaPlan(ConvGeometry g, WorkerPool pool, PostOp postOp) {
        this(g, pool, postOp, "no Vector API: the JVM lacks " + VectorModule.FLAG);
    }

    /**
     * {@code postOp} is applied to each run of accumulators just before {@link #store} copies it out; {@code reason}
     * says in {@link #describe()} why these loops run rather than the vector kernels.
     */
    PlainJavaPlan(ConvGeometry g, WorkerPool pool, PostOp postOp, String reason) {
        this.postOp = postOp;
        this.g = g;
        this.reason = reason;
        this.pool = pool;
        this.paddedInputs = new ScratchPool(pool.threads());
        paddedH = g.inHeight() + g.padTop() + g.padBottom();
        paddedW = g.inWidth() + g.padLeft() + g.padRight();
        plane = paddedH * paddedW;
        wideRows = g.strideH() == 1 && g.strideW() == 1;
        spaceLength = wideRows ? (g.outHeight() - 1) * paddedW + g.outWidth() : g.outWidth();
        runsPerSpace = (spaceLength + RUN - 1) / RUN;
        runsPerImage = wideRows ? runsPerSpace : g.outHeight() * runsPerSpace;
        blocksPerGroup = (g.outChannelsPerGroup() + CHANNELS_PER_BLOCK - 1) / CHANNELS_PER_BLOCK;
        tasksPerImage = g.groups() * blocksPerGroup * runsPerImage;
    }

    /** Floats of the padded copy of the whole input, which must fit one Java array. */
    static long paddedLength(ConvGeometry g) {
        return (long) g.batch() * g.inChannels() * g.paddedHeight() * g.paddedWidth();
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public String describe() {
        return "plain Java loops (" + reason + "), "
                + (wideRows ? "rows computed " + paddedW + " wide for " + g.outWidth() + " outputs" : "strided rows")
                + ", runs of " + RUN + " positions x " + CHANNELS_PER_BLOCK + " output channels, " + pool.threads()
                + " thread" + (pool.threads() == 1 ? "" : "s");
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        if (g.batch() == 0 || g.outChannels() == 0 || g.outHeight() == 0 || g.outWidth() == 0) {
            return;
        }
        int channelPlanes = g.batch() * g.inChannels();
        float[] padded = paddedInputs.take(channelPlanes * plane);
        try {
            pool.forEach(channelPlanes, i -> pad(input, i, padded));
            pool.forEach(g.batch() * tasksPerImage, t -> {
                float[][] workspace = workspaces.poll();
                if (workspace == null) {
                    workspace = new float[CHANNELS_PER_BLOCK + 1][RUN];
                }
                try {
                    run(padded, weight, bias, output, t, workspace);
                } finally {
                    workspaces.offer(workspace);
                }
            });
        } finally {
            paddedInputs.give(padded);
        }
    }

    /** Writes channel plane {@code i} (image-major) of the input, padded, into {@code padded}. */
    private void pad(float[] input, int i, float[] padded) {
        int h = g.inHeight();
        int w = g.inWidth();
        PaddingMode mode = g.paddingMode();
        int src = i * h * w;
        int dst = i * plane;
        for (int py = 0; py < paddedH; py++) {
            int iy = mode.sourceIndex(py - g.padTop(), h);
            int row = dst + py * paddedW;
            if (iy < 0) {
                Arrays.fill(padded, row, row + paddedW, 0f);
                continue;
            }
            for (int px = 0; px < paddedW; px++) {
                int ix = mode.sourceIndex(px - g.padLeft(), w);
                padded[row + px] = ix < 0 ? 0f : input[src + iy * w + ix];
            }
        }
    }

    /** Task {@code t}: one run of output positions for one block of output channels of one image. */
    private void run(float[] padded, float[] weight, float[] bias, float[] output, int t, float[][] workspace) {
        int n = t / tasksPerImage;
        int rest = t % tasksPerImage;
        int block = rest / runsPerImage;
        int runIndex = rest % runsPerImage;
        int group = block / blocksPerGroup;
        int firstK = group * g.outChannelsPerGroup() + block % blocksPerGroup * CHANNELS_PER_BLOCK;
        int channels = Math.min(CHANNELS_PER_BLOCK, (group + 1) * g.outChannelsPerGroup() - firstK);
        int y = wideRows ? 0 : runIndex / runsPerSpace;
        int start = runIndex % runsPerSpace * RUN;
        int length = Math.min(RUN, spaceLength - start);
        float[] gathered = workspace[CHANNELS_PER_BLOCK];
        for (int j = 0; j < channels; j++) {
            Arrays.fill(workspace[j], 0, length, bias == null ? 0f : bias[firstK + j]);
        }
        int cpg = g.inChannelsPerGroup();
        int taps = g.kernelH() * g.kernelW();
        int firstPlane = (n * g.inChannels() + group * cpg) * plane;
        for (int c = 0; c < cpg; c++) {
            for (int r = 0; r < g.kernelH(); r++) {
                int row = firstPlane + c * plane + (y * g.strideH() + r * g.dilationH()) * paddedW;
                for (int s = 0; s < g.kernelW(); s++) {
                    gather(padded, row + s * g.dilationW(), start, length, gathered);
                    int tap = (c * g.kernelH() + r) * g.kernelW() + s;
                    for (int j = 0; j < channels; j++) {
                        multiplyAdd(workspace[j], gathered, length, weight[((firstK + j) * cpg) * taps + tap]);
                    }
                }
            }
        }
        for (int j = 0; j < channels; j++) {
            store(workspace[j], output, ((n * g.outChannels() + firstK + j) * g.outHeight()) * g.outWidth(), y, start,
                    length);
        }
    }

    /** The input values positions {@code [start, start + length)} read for one tap whose row starts at {@code from}. */
    private void gather(float[] padded, int from, int start, int length, float[] gathered) {
        if (wideRows) {
            System.arraycopy(padded, from + start, gathered, 0, length);
            return;
        }
        int sw = g.strideW();
        for (int i = 0, at = from + start * sw; i < length; i++, at += sw) {
            gathered[i] = padded[at];
        }
    }

    /** {@code acc[i] += w * x[i]}: both arrays indexed alike, the loop C2 vectorizes. */
    private static void multiplyAdd(float[] acc, float[] x, int length, float w) {
        for (int i = 0; i < length; i++) {
            acc[i] += w * x[i];
        }
    }

    /** Copies one run of accumulators to an output channel plane, dropping the wide rows' extra columns. */
    private void store(float[] acc, float[] output, int channelPlane, int y, int start, int length) {
        postOp.applyInPlace(acc, 0, length);
        int outW = g.outWidth();
        if (!wideRows) {
            System.arraycopy(acc, 0, output, channelPlane + y * outW + start, length);
            return;
        }
        int f = start;
        int end = start + length;
        while (f < end) {
            int row = f / paddedW;
            int x = f - row * paddedW;
            int rowEnd = Math.min(end, row * paddedW + paddedW);
            if (x < outW) {
                int count = Math.min(outW - x, rowEnd - f);
                System.arraycopy(acc, f - start, output, channelPlane + row * outW + x, count);
            }
            f = rowEnd;
        }
    }

    /** The idle padded input copies and task workspaces. */
    @Override
    public long retainedBytes() {
        return paddedInputs.idleBytes() + (long) workspaces.size() * (CHANNELS_PER_BLOCK + 1) * RUN * Float.BYTES;
    }

    @Override
    public void close() {
        paddedInputs.clear();
        workspaces.clear();
    }
}
