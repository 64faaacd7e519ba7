package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;
import dev.jconv.PaddingMode;
import dev.jconv.backend.ConvPlan;

/**
 * The {@code cpu} plan for geometries the stride-phase layout ({@link FlatLayout}) cannot hold: strides whose
 * phase tables ({@code strideH x strideW} entries) would outgrow the data, padded sizes past what its int
 * indexing covers, and paddings so large next to the output (a huge dilation with {@code same}) that the padded copy
 * would dwarf the receptive fields. It gathers every receptive field once into an im2col matrix laid out as an input of
 * {@code C * kH * kW} channels of {@code outH x outW} (channel {@code (c, r, s)} of image {@code n} holds
 * {@code in[n, c, oy * strideH - padTop + r * dilationH, ox * strideW - padLeft + s * dilationW]}, a padded
 * zero where that lies outside in zeros mode), then runs a 1x1, stride-1 {@link ImplicitGemmPlan} (or, without the
 * Vector API, {@link PlainJavaPlan}) on it: the
 * weight {@code [K, C/G, kH, kW]} is, in memory, already the weight of that pointwise convolution with
 * {@code C/G * kH * kW} input channels per group. Padded zeros are multiplied like any value, so non-finite
 * weights give what {@code cpu-reference} and PyTorch's dense path give.
 *
 * <p>Memory is the matrix, {@code N * C * kH * kW * outH * outW} floats, which a large stride only shrinks; time
 * is one read per matrix element plus the GEMM.
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

    /** {@code postOp} is the pointwise plan's, applied where it writes the output. */
    GatherPlan(ConvGeometry g, WorkerPool pool, int packMinColumns, PostOp postOp) {
        this.g = g;
        this.pool = pool;
        ConvGeometry gemm = new ConvGeometry(g.batch(), g.inChannels() * taps(g), g.outHeight(), g.outWidth(),
                g.outChannels(), 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, g.groups(), PaddingMode.ZEROS,
                g.outHeight(), g.outWidth());
        // without the Vector API module, the plain-Java plan (ImplicitGemmPlan's class needs the module to load)
        this.pointwise = VectorModule.present() ? new ImplicitGemmPlan(gemm, pool, packMinColumns, postOp)
                : new PlainJavaPlan(gemm, pool, postOp);
    }

    /**
     * Whether {@link CpuBackend} should plan {@code g} with this class rather than with a layout plan whose input
     * copy would be {@code layoutCopy} floats.
     */
    static boolean isNeededFor(ConvGeometry g, long layoutCopy) {
        return (long) g.strideH() * g.strideW() > MAX_PHASES
                || g.paddedHeight() > MAX_FLAT_PADDED || g.paddedWidth() > MAX_FLAT_PADDED
                || layoutCopy > 4 * matrixLength(g) + (1 << 16);
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

    /** Writes the {@code kH * kW} matrix channels of one input plane ({@code n * C + c}). */
    private void gather(float[] input, int plane, float[] matrix) {
        int h = g.inHeight();
        int w = g.inWidth();
        int outPlane = g.outHeight() * g.outWidth();
        long source = (long) plane * h * w;
        int dst = plane * taps(g) * outPlane;
        PaddingMode mode = g.paddingMode();
        for (int r = 0; r < g.kernelH(); r++) {
            for (int s = 0; s < g.kernelW(); s++) {
                for (int oy = 0; oy < g.outHeight(); oy++) {
                    int iy = mode.sourceIndex((long) oy * g.strideH() - g.padTop() + (long) r * g.dilationH(), h);
                    for (int ox = 0; ox < g.outWidth(); ox++) {
                        int ix = mode.sourceIndex((long) ox * g.strideW() - g.padLeft() + (long) s * g.dilationW(), w);
                        matrix[dst++] = iy < 0 || ix < 0 ? 0f : input[(int) (source + (long) iy * w + ix)];
                    }
                }
            }
        }
    }

    @Override
    public String describe() {
        return "gathered im2col (" + g.inChannels() * taps(g) + " x " + g.outHeight() * g.outWidth()
                + " per image: stride or padding beyond the stride-phase layout), then "
                + pointwise.describe();
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
