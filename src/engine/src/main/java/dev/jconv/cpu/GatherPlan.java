package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PaddingMode;
import dev.jconv.backend.ConvPlan;
import java.util.Arrays;

/**
 * The {@code cpu} plan that gathers every receptive field once into an im2col matrix laid out as an input of
 * {@code C * kH * kW} channels of {@code outH x outW} (channel {@code (c, r, s)} of image {@code n} holds
 * {@code in[n, c, oy * strideH - padTop + r * dilationH, ox * strideW - padLeft + s * dilationW]}, resolved by the
 * padding mode, a zero outside in zeros mode), then runs the backend's plan for the 1x1, stride-1 convolution of that
 * matrix ({@link #pointwiseGeometry}): the weight {@code [K, C/G, kH, kW]} is, in memory, already the weight of that
 * pointwise convolution with {@code C/G * kH * kW} input channels per group. Padded zeros are multiplied like any
 * value, so non-finite weights give what {@code cpu-reference} and PyTorch's dense path give. Two uses:
 * <ul>
 *   <li>geometries the stride-phase layout ({@link FlatLayout}) cannot hold ({@link #isNeededFor}): strides whose
 *       phase tables ({@code strideH x strideW} entries) would outgrow the data, padded sizes past what its int
 *       indexing covers, and paddings so large next to the output (a huge dilation with {@code same}) that the padded
 *       copy would dwarf the receptive fields;</li>
 *   <li>strided 1x1 layers ({@link #subsamples}, ResNet's downsampling shortcuts), where the matrix is the input
 *       subsampled: the layout would copy every stride phase of the input (four at stride 2) to read one.</li>
 * </ul>
 *
 * <p>Memory is the matrix, {@code N * C * kH * kW * outH * outW} floats, which a large stride only shrinks; time
 * is one read per matrix element plus the pointwise plan.
 */
final class GatherPlan implements ConvPlan {
    /** Above this many stride phases (a 64 x 64 stride) {@link FlatLayout}'s per-phase tables cost more than the data. */
    static final long MAX_PHASES = 64 * 64;
    /** The layout plans index padded rows and columns, plus a kernel's reach, in int. */
    private static final long MAX_FLAT_PADDED = Integer.MAX_VALUE / 4;

    private final ConvGeometry g;
    private final WorkerPool pool;
    private final ConvPlan pointwise;
    /** One idle matrix between calls: it can be large, and concurrent callers make their own. */
    private final ScratchPool columns = new ScratchPool(1);
    private volatile boolean closed;

    /**
     * Gathers for {@code pointwise}, a plan for {@link #pointwiseGeometry}{@code (g)} (with the post-op, if any, that
     * this plan's output needs).
     */
    GatherPlan(ConvGeometry g, WorkerPool pool, ConvPlan pointwise) {
        if (!pointwise.geometry().equals(pointwiseGeometry(g))) {
            throw new IllegalArgumentException("the pointwise plan is for " + pointwise.geometry() + ", not "
                    + pointwiseGeometry(g));
        }
        this.g = g;
        this.pool = pool;
        this.pointwise = pointwise;
    }

    /** The 1x1, stride-1, unpadded convolution of the gathered matrix, {@code C * kH * kW} input channels. */
    static ConvGeometry pointwiseGeometry(ConvGeometry g) {
        return new ConvGeometry(g.batch(), g.inChannels() * taps(g), g.outHeight(), g.outWidth(),
                g.outChannels(), 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, g.groups(), PaddingMode.ZEROS,
                g.outHeight(), g.outWidth());
    }

    /**
     * Whether {@link CpuBackend} should plan {@code g} with this class rather than with a layout plan whose input
     * copy would be {@code layoutCopy} floats: where it must ({@link #isNeededFor}) or a strided 1x1 layer
     * ({@link #subsamples}).
     */
    static boolean suits(ConvGeometry g, long layoutCopy) {
        return isNeededFor(g, layoutCopy) || subsamples(g);
    }

    /**
     * Whether the stride-phase layout cannot hold {@code g} (or its copy, {@code layoutCopy} floats, would dwarf the
     * receptive fields).
     */
    static boolean isNeededFor(ConvGeometry g, long layoutCopy) {
        return (long) g.strideH() * g.strideW() > MAX_PHASES
                || g.paddedHeight() > MAX_FLAT_PADDED || g.paddedWidth() > MAX_FLAT_PADDED
                || layoutCopy > 4 * matrixLength(g) + (1 << 16);
    }

    /**
     * A 1x1 kernel with a stride: each output pixel reads one input pixel, and the matrix is the input subsampled,
     * a quarter of it at stride 2, where the layout plans copy every stride phase and read one. It saves memory more
     * than time: both builds in one JVM ({@code benchmarks/ab/two_builds_ab.sh}, 2-core AMD EPYC, Zen 3, AVX2, 20-30
     * rounds), time over the layout plans' at one / two threads, ResNet-50's 1x1 stride-2 shortcuts 256->512 from
     * 56x56 0.97-1.02 / 0.97, 512->1024 from 28x28 0.98-1.00 / 0.98-1.00, 1024->2048 from 14x14 1.01 / 0.99, 64->128
     * from 56x56 1.03 / 0.95; the copy kept between calls is a quarter the size.
     */
    static boolean subsamples(ConvGeometry g) {
        return taps(g) == 1 && (g.strideH() > 1 || g.strideW() > 1);
    }

    /** Floats of the gathered matrix, in 64 bits so that {@link CpuBackend#supports} can refuse what no array holds. */
    static long matrixLength(ConvGeometry g) {
        return (long) g.batch() * g.inChannels() * taps(g) * g.outHeight() * g.outWidth();
    }

    private static int taps(ConvGeometry g) {
        return g.kernelH() * g.kernelW();
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        forward(input, weight, UNVERSIONED, bias, output);
    }

    @Override
    public void forward(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        CpuPlans.checkOpen(closed);
        CpuPlans.checkLengths(g, input, weight, bias, output);
        float[] matrix = columns.take((int) matrixLength(g));
        try {
            pool.forEach(g.batch() * g.inChannels(), plane -> gather(input, plane, matrix));
            pointwise.forward(matrix, weight, weightVersion, bias, output);
        } finally {
            columns.give(matrix);
        }
    }

    /**
     * Writes the {@code kH * kW} matrix channels of one input plane ({@code n * C + c}): per matrix row, the columns
     * whose input lies inside the row ({@link #inside}) as a strided copy, the others through the padding mode.
     */
    private void gather(float[] input, int plane, float[] matrix) {
        int h = g.inHeight();
        int w = g.inWidth();
        int outW = g.outWidth();
        int sw = g.strideW();
        long source = (long) plane * h * w;
        int dst = plane * taps(g) * g.outHeight() * outW;
        PaddingMode mode = g.paddingMode();
        for (int r = 0; r < g.kernelH(); r++) {
            for (int s = 0; s < g.kernelW(); s++) {
                long x0 = (long) s * g.dilationW() - g.padLeft(); // input column of output column 0
                int first = inside(x0, sw, 0);
                int end = Math.max(first, inside(x0, sw, w));
                for (int oy = 0; oy < g.outHeight(); oy++, dst += outW) {
                    int iy = mode.sourceIndex((long) oy * g.strideH() - g.padTop() + (long) r * g.dilationH(), h);
                    if (iy < 0) {
                        Arrays.fill(matrix, dst, dst + outW, 0f);
                        continue;
                    }
                    long row = source + (long) iy * w;
                    for (int ox = 0; ox < first; ox++) {
                        matrix[dst + ox] = padded(input, row, mode.sourceIndex(x0 + (long) ox * sw, w));
                    }
                    int from = (int) (row + x0 + (long) first * sw);
                    for (int ox = first; ox < end; ox++, from += sw) {
                        matrix[dst + ox] = input[from];
                    }
                    for (int ox = end; ox < outW; ox++) {
                        matrix[dst + ox] = padded(input, row, mode.sourceIndex(x0 + (long) ox * sw, w));
                    }
                }
            }
        }
    }

    /** The first output column, at least 0 and at most the output's width, whose input column is at least {@code x}. */
    private int inside(long x0, int stride, long x) {
        long columns = x <= x0 ? 0 : (x - x0 + stride - 1) / stride;
        return (int) Math.min(columns, g.outWidth());
    }

    private static float padded(float[] input, long row, int ix) {
        return ix < 0 ? 0f : input[(int) (row + ix)];
    }

    @Override
    public String describe() {
        String why = subsamples(g) ? "a strided 1x1 layer's input subsampled"
                : "stride or padding beyond the stride-phase layout";
        return "gathered im2col (" + g.inChannels() * taps(g) + " x " + g.outHeight() * g.outWidth()
                + " per image: " + why + "), then " + pointwise.describe();
    }

    /** The idle gathered matrix plus what the pointwise plan keeps. */
    @Override
    public long retainedBytes() {
        return columns.idleBytes() + pointwise.retainedBytes();
    }

    @Override
    public void close() {
        closed = true;
        columns.clear();
        pointwise.close();
    }
}
