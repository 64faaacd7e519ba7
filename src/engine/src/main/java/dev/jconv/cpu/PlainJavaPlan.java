package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PaddingMode;
import dev.jconv.backend.ConvPlan;
import java.util.Arrays;

/**
 * The {@code cpu} backend's path when the JVM runs without {@code jdk.incubator.vector}: multi-threaded plain Java,
 * its inner loops shaped so that HotSpot's C2 compiler vectorizes them itself (SuperWord). No class here touches
 * the Vector API, so it loads on any JVM.
 *
 * <p>Math, per image {@code n} and output channel {@code k} of group {@code g}:
 * {@code out[n,k,y,x] = bias[k] + sum over c, r, s of w[k,c,r,s] * P[n, g*C/G + c, y*strideH + r*dilationH,
 * x*strideW + s*dilationW]}, where {@code P} is the input padded ({@code Hp x Wp} per channel) through
 * {@link PaddingMode#sourceIndex}, made once per call.
 *
 * <p>Stride 1: output rows are computed {@code Wp} wide, so flat output position {@code f = y*Wp + x} reads
 * {@code P[c][f + r*dilationH*Wp + s*dilationW]}: each tap is one constant offset and one channel's whole plane is one
 * loop {@code acc[f] += w * plane[f + offset]}, long enough that the vectorized loop dominates. The
 * {@code Wp - outWidth} extra columns per row are dropped when {@code acc} is copied out. Two output channels share
 * each pass, so every input load feeds two multiply-adds. Other strides: the same per output row, with strided
 * reads that C2 does not vectorize.
 *
 * <p>Work is split over {@link WorkerPool} by image and pair of output channels; accumulation is in float.
 */
final class PlainJavaPlan implements ConvPlan {
    private static final int CHANNELS_PER_TASK = 2;

    private final ConvGeometry g;
    private final WorkerPool pool;
    private final int paddedH;
    private final int paddedW;
    private final int plane;
    /** Stride 1: every output row computed {@code paddedW} wide, as one flat loop per tap. */
    private final boolean wideRows;
    private final int accLength;
    private final int pairsPerImage;
    private final ScratchPool paddedInputs = new ScratchPool();
    private final ScratchPool accumulators = new ScratchPool();

    PlainJavaPlan(ConvGeometry g, WorkerPool pool) {
        this.g = g;
        this.pool = pool;
        paddedH = g.inHeight() + g.padTop() + g.padBottom();
        paddedW = g.inWidth() + g.padLeft() + g.padRight();
        plane = paddedH * paddedW;
        wideRows = g.strideH() == 1 && g.strideW() == 1;
        int rowLength = wideRows ? (g.outHeight() - 1) * paddedW + g.outWidth() : g.outWidth();
        accLength = CHANNELS_PER_TASK * Math.max(rowLength, 0);
        pairsPerImage = (g.outChannels() + CHANNELS_PER_TASK - 1) / CHANNELS_PER_TASK;
    }

    /** Floats of the padded copy of the whole input, which must fit one Java array. */
    static long paddedLength(ConvGeometry g) {
        return (long) g.batch() * g.inChannels() * (g.inHeight() + g.padTop() + g.padBottom())
                * (g.inWidth() + g.padLeft() + g.padRight());
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public String describe() {
        return "plain Java loops (no Vector API: the JVM lacks --add-modules jdk.incubator.vector), "
                + (wideRows ? "stride 1: one flat loop per tap over rows " + paddedW + " wide for " + g.outWidth()
                + " outputs" : "strided rows") + ", " + CHANNELS_PER_TASK + " output channels per pass, "
                + pool.threads() + " thread" + (pool.threads() == 1 ? "" : "s");
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        if (g.batch() == 0 || g.outChannels() == 0 || g.outHeight() == 0 || g.outWidth() == 0) {
            return;
        }
        int images = g.batch() * g.inChannels();
        float[] padded = paddedInputs.take(images * plane);
        try {
            pool.forEach(images, i -> pad(input, i, padded));
            pool.forEach(g.batch() * pairsPerImage, t -> {
                float[] acc = accumulators.take(accLength);
                try {
                    computeTask(padded, weight, bias, output, t / pairsPerImage, t % pairsPerImage * CHANNELS_PER_TASK,
                            acc);
                } finally {
                    accumulators.give(acc);
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

    /**
     * Output channels {@code k} and {@code k + 1} of image {@code n} in one pass when both exist and share a group,
     * else one at a time.
     */
    private void computeTask(float[] padded, float[] weight, float[] bias, float[] output, int n, int k, float[] acc) {
        int perGroup = g.outChannelsPerGroup();
        boolean pairInOneGroup = k + 1 < g.outChannels() && (k + 1) / perGroup == k / perGroup;
        compute(padded, weight, bias, output, n, k, acc, pairInOneGroup);
        if (!pairInOneGroup && k + 1 < g.outChannels()) {
            compute(padded, weight, bias, output, n, k + 1, acc, false);
        }
    }

    private void compute(float[] padded, float[] weight, float[] bias, float[] output, int n, int k, float[] acc,
            boolean two) {
        int cpg = g.inChannelsPerGroup();
        int firstChannel = (k / g.outChannelsPerGroup()) * cpg;
        int taps = g.kernelH() * g.kernelW();
        int w0 = k * cpg * taps;
        int w1 = w0 + cpg * taps;
        int imageBase = (n * g.inChannels() + firstChannel) * plane;
        int len = accLength / CHANNELS_PER_TASK;
        float b0 = bias == null ? 0f : bias[k];
        float b1 = bias == null || !two ? 0f : bias[k + 1];
        int outPlane = g.outHeight() * g.outWidth();
        int out0 = (n * g.outChannels() + k) * outPlane;
        if (wideRows) {
            fill(acc, 0, len, b0);
            fill(acc, len, len, b1);
            for (int c = 0; c < cpg; c++) {
                int channel = imageBase + c * plane;
                for (int r = 0; r < g.kernelH(); r++) {
                    for (int s = 0; s < g.kernelW(); s++) {
                        int t = (c * g.kernelH() + r) * g.kernelW() + s;
                        int from = channel + r * g.dilationH() * paddedW + s * g.dilationW();
                        if (two) {
                            multiplyAddTwo(acc, len, padded, from, weight[w0 + t], weight[w1 + t]);
                        } else {
                            multiplyAdd(acc, 0, padded, from, len, weight[w0 + t]);
                        }
                    }
                }
            }
            for (int y = 0; y < g.outHeight(); y++) {
                System.arraycopy(acc, y * paddedW, output, out0 + y * g.outWidth(), g.outWidth());
                if (two) {
                    System.arraycopy(acc, len + y * paddedW, output, out0 + outPlane + y * g.outWidth(), g.outWidth());
                }
            }
            return;
        }
        int sw = g.strideW();
        for (int y = 0; y < g.outHeight(); y++) {
            fill(acc, 0, len, b0);
            fill(acc, len, len, b1);
            for (int c = 0; c < cpg; c++) {
                int channel = imageBase + c * plane;
                for (int r = 0; r < g.kernelH(); r++) {
                    int row = channel + (y * g.strideH() + r * g.dilationH()) * paddedW;
                    for (int s = 0; s < g.kernelW(); s++) {
                        int t = (c * g.kernelH() + r) * g.kernelW() + s;
                        int from = row + s * g.dilationW();
                        float wa = weight[w0 + t];
                        float wb = two ? weight[w1 + t] : 0f;
                        for (int x = 0; x < len; x++) {
                            float v = padded[from + x * sw];
                            acc[x] += wa * v;
                            acc[len + x] += wb * v;
                        }
                    }
                }
            }
            System.arraycopy(acc, 0, output, out0 + y * g.outWidth(), len);
            if (two) {
                System.arraycopy(acc, len, output, out0 + outPlane + y * g.outWidth(), len);
            }
        }
    }

    private static void fill(float[] a, int from, int length, float value) {
        Arrays.fill(a, from, from + length, value);
    }

    /** {@code acc[i] += w * in[from + i]}: the loop C2 vectorizes. */
    private static void multiplyAdd(float[] acc, int at, float[] in, int from, int length, float w) {
        for (int i = 0; i < length; i++) {
            acc[at + i] += w * in[from + i];
        }
    }

    /** Two output channels from one pass over the input: {@code acc[i] += w0 * x}, {@code acc[len + i] += w1 * x}. */
    private static void multiplyAddTwo(float[] acc, int length, float[] in, int from, float w0, float w1) {
        for (int i = 0; i < length; i++) {
            float x = in[from + i];
            acc[i] += w0 * x;
            acc[length + i] += w1 * x;
        }
    }

    @Override
    public void close() {
        paddedInputs.clear();
        accumulators.clear();
    }
}
