package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.backend.ConvPlan;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * A stride-1 convolution of dilation {@code d} as an undilated one on a mosaic of the input's {@code d x d} phase
 * images:
 * <pre>
 *   out[n][k][d*i + py][d*j + px]
 *       = sum over c, r, s of w[k][c][r][s] * in[n][c][d*(i + r - q) + py][d*(j + s - q) + px]
 *       = conv(phase(py, px) of in[n], w, undilated, padding q)[k][i][j]
 * </pre>
 * with the padding {@code p = d * q} and the kernel {@code 2q + 1} (the size-keeping dilated convolutions of
 * DeepLab-style networks), where {@code phase(py, px)} holds the pixels whose row is {@code py} and column {@code px}
 * modulo {@code d}: an output pixel reads only its own phase, and a padded zero lands on its phase's padding. The
 * phase images of each image and channel are laid side by side, {@code q} zero rows and columns between them (a
 * window at one image's edge reaches {@code q} into them and never into the next image), as one image of
 * {@code d * ceil(H/d) + (d - 1) * q} rows and columns, which the plan the backend picks for that undilated geometry
 * convolves (Winograd's F(4x4, 3x3) for the 3x3 layers this is chosen for, which cannot run dilated); its outputs on
 * the separating rows and columns are discarded.
 *
 * <p>Why one mosaic and not a batch of phase images: Winograd's transforms run along rows of tiles, and a 56x56
 * layer of dilation 2 as four 28x28 images has 7 tile columns for 16 lanes; as one 57x57 image, 15. Measured on a
 * 2-core AMD EPYC with AVX-512, 2 threads, 64 channels 3x3 on 56x56: Winograd on four 28x28 images 2.21 ms, on one
 * 56x56 image 0.78 ms (the same tiles), the dilated layer on the implicit GEMM 1.28 ms.
 */
final class DilationPhasesPlan extends CpuPlan {
    private static final int LANES = GemmKernel.LANES;
    /** For {@link #zip}: lane {@code i} takes lane {@code i / 2}, or {@code LANES / 2 + i / 2}. */
    private static final VectorShuffle<Float> LOWER_PAIRS = VectorShuffle.fromOp(GemmKernel.F, i -> i / 2);
    private static final VectorShuffle<Float> UPPER_PAIRS =
            VectorShuffle.fromOp(GemmKernel.F, i -> GemmKernel.LANES / 2 + i / 2);
    private static final VectorMask<Float> ODD_LANES =
            VectorMask.fromLong(GemmKernel.F, 0xAAAAAAAAAAAAAAAAL & ((1L << GemmKernel.LANES) - 1));
    private final int d;
    /** The mosaic's padding and separator width, {@code p / d}. */
    private final int q;
    /** Rows and columns of a phase image's place in the mosaic: the largest phase image's, {@code ceil(H / d)}. */
    private final int ph;
    private final int pw;
    private final ConvGeometry mosaic;
    private final ConvPlan inner;
    private final ScratchPool mosaicInputs;
    private final ScratchPool mosaicOutputs;

    /**
     * Mosaic pixels per input pixel up to which {@link #suits} picks this plan: the mosaic grows with the separators
     * and, where {@code d} does not divide a side, with the phase images' unequal sizes. Measured on a 2-core AMD EPYC
     * with AVX-512, 2 threads, DeepLabv3's layers, the implicit GEMM's time against this plan's (growth): 512
     * channels on 33x33 at dilation 2 37.1 / 18.9 ms (1.12, same-JVM A/B), 4 47.6 / 22.7 (1.40), 8 52.6 / 21.0
     * (2.03); ASPP 2048->256 on 33x33 at rate 6 156 / 41 (1.54), 12 232 / 49 (2.03), 18 488 / 67 (2.58); on 65x65 at
     * rate 24 1246 / 167 (2.14). Larger growths were not measured.
     */
    static final double MAX_GROWTH = 2.6;

    /** Whether this plan runs {@code g} (see the class comment). */
    static boolean suits(ConvGeometry g) {
        if (!splits(g)) {
            return false;
        }
        ConvGeometry mosaic = mosaicGeometry(g);
        double growth = (double) mosaic.inHeight() * mosaic.inWidth() / ((double) g.inHeight() * g.inWidth());
        return growth <= MAX_GROWTH && WinogradPlan.suits(mosaic);
    }

    /**
     * The shape conditions alone: dilation the same both ways and above 1, stride 1, zeros, a square odd kernel
     * whose padding is {@code d * (kernel - 1) / 2} on every side.
     */
    static boolean splits(ConvGeometry g) {
        int d = g.dilationH();
        int k = g.kernelH();
        int p = d * (k - 1) / 2;
        if (d < 2 || g.dilationW() != d || g.strideH() != 1 || g.strideW() != 1 || g.kernelW() != k || k % 2 == 0
                || g.paddingMode() != PaddingMode.ZEROS || g.padTop() != p || g.padBottom() != p || g.padLeft() != p
                || g.padRight() != p) {
            return false;
        }
        // the mosaic's input and output must each fit one Java array
        long side = (long) d * k + Math.max(g.inHeight(), g.inWidth());
        return (long) g.batch() * Math.max(g.inChannels(), g.outChannels()) * side * side < Integer.MAX_VALUE - 16;
    }

    /**
     * The undilated geometry of the mosaic: {@code N} images of {@code d * ceil(H / d) + (d - 1) * q} rows (and as
     * many columns from {@code W}). Where {@code d} does not divide a side, the smaller phase images end one row or
     * column short of their place, which stays zero: the padding they would have had.
     */
    static ConvGeometry mosaicGeometry(ConvGeometry g) {
        int d = g.dilationH();
        int q = (g.kernelH() - 1) / 2;
        ConvParams params = new ConvParams(1, 1, Padding.of(q), 1, 1, g.groups(), PaddingMode.ZEROS);
        return ConvValidator.checkForward(new int[] {g.batch(), g.inChannels(),
                d * FlatLayout.ceilDiv(g.inHeight(), d) + (d - 1) * q, d * FlatLayout.ceilDiv(g.inWidth(), d)
                + (d - 1) * q}, g.weightShape(), null, params);
    }

    /** {@code inner} runs {@link #mosaicGeometry}{@code (g)}; this plan closes it. */
    DilationPhasesPlan(ConvGeometry g, WorkerPool pool, ConvPlan inner) {
        super(g, pool);
        this.d = g.dilationH();
        this.q = (g.kernelH() - 1) / 2;
        this.ph = FlatLayout.ceilDiv(g.inHeight(), d);
        this.pw = FlatLayout.ceilDiv(g.inWidth(), d);
        this.mosaic = inner.geometry();
        this.inner = inner;
        mosaicInputs = new ScratchPool(pool.threads());
        mosaicOutputs = new ScratchPool(pool.threads());
    }

    @Override
    void compute(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        // taken zeroed or as last left: only phase pixels are written, the separators stay zero
        float[] in = mosaicInputs.take(Math.toIntExact(inputLength()));
        float[] results = mosaicOutputs.take(Math.toIntExact(mosaic.outputElements()));
        try {
            pool.forEach(g.batch() * g.inChannels(), p -> split(input, in, p));
            inner.forward(in, weight, weightVersion, bias, results);
            pool.forEach(g.batch() * g.outChannels(), p -> interleave(results, output, p));
        } finally {
            mosaicInputs.give(in);
            mosaicOutputs.give(results);
        }
    }

    private long inputLength() {
        return (long) mosaic.batch() * mosaic.inChannels() * mosaic.inHeight() * mosaic.inWidth();
    }

    /**
     * Plane {@code p} (image and channel) of the input into its mosaic plane. At dilation 2 a row's even and odd
     * columns go by vectors ({@link FlatLayout#evenLanes}), the rest of a row element by element: the separators
     * between the phase images must stay zero, so no vector is stored past a phase row's last pixel. The split and
     * {@link #interleave} element by element took 16% of the 64-channel 3x3 dilation-2 layer on 56x56 (JFR, one
     * thread); by vectors the layer took 0.88-0.94x the time at one thread and 0.91x at two, 256 channels on 33x33
     * 0.94-1.00x (2-core AMD EPYC Zen 3 with AVX2, both builds in one JVM, 40-60 rounds).
     */
    private void split(float[] input, float[] in, int p) {
        int h = g.inHeight();
        int w = g.inWidth();
        int mw = mosaic.inWidth();
        int from = p * h * w;
        int plane = p * mosaic.inHeight() * mw;
        for (int y = 0; y < h; y++) {
            int py = y % d;
            int row = plane + (py * (ph + q) + y / d) * mw;
            int src = from + y * w;
            for (int px = 0; px < d; px++) {
                int x = px;
                int dst = row + px * (pw + q);
                if (d == 2) {
                    int count = (w - px + 1) / 2;
                    for (int i = 0; i + LANES <= count && src + x + 2 * LANES <= input.length; i += LANES) {
                        FlatLayout.evenLanes(input, src + x, in, dst);
                        x += 2 * LANES;
                        dst += LANES;
                    }
                }
                for (; x < w; x += d, dst++) {
                    in[dst] = input[src + x];
                }
            }
        }
    }

    /**
     * Plane {@code p} (image and output channel) of the output from its mosaic plane. At dilation 2 a row's even and
     * odd columns are zipped by vectors ({@link #zip}), its ragged end element by element.
     */
    private void interleave(float[] results, float[] output, int p) {
        int oh = g.outHeight();
        int ow = g.outWidth();
        int mw = mosaic.outWidth();
        int plane = p * mosaic.outHeight() * mw;
        int to = p * oh * ow;
        for (int y = 0; y < oh; y++) {
            int py = y % d;
            int row = plane + (py * (ph + q) + y / d) * mw;
            int dst = to + y * ow;
            int done = 0;
            if (d == 2) {
                int odd = row + pw + q;
                for (; 2 * (done + LANES) <= ow; done += LANES) {
                    zip(results, row + done, odd + done, output, dst + 2 * done);
                }
            }
            for (int px = 0; px < d; px++) {
                for (int x = px + d * done, src = row + px * (pw + q) + done; x < ow; x += d, src++) {
                    output[dst + x] = results[src];
                }
            }
        }
    }

    /** {@code out[o + 2i] = a[ea + i]} and {@code out[o + 2i + 1] = a[oa + i]} for {@code i < LANES}. */
    private static void zip(float[] a, int ea, int oa, float[] out, int o) {
        FloatVector even = FloatVector.fromArray(GemmKernel.F, a, ea);
        FloatVector odd = FloatVector.fromArray(GemmKernel.F, a, oa);
        even.rearrange(LOWER_PAIRS).blend(odd.rearrange(LOWER_PAIRS), ODD_LANES).intoArray(out, o);
        even.rearrange(UPPER_PAIRS).blend(odd.rearrange(UPPER_PAIRS), ODD_LANES).intoArray(out, o + LANES);
    }

    @Override
    public String describe() {
        return "dilation " + d + " as one undilated " + mosaic.inHeight() + "x" + mosaic.inWidth() + " mosaic of the "
                + d * d + " phase images per image, split and interleaved on " + threadCount() + ": "
                + inner.describe();
    }

    /** The inner plan's, and the idle mosaics. */
    @Override
    public long retainedBytes() {
        return inner.retainedBytes() + mosaicInputs.idleBytes() + mosaicOutputs.idleBytes();
    }

    @Override
    public void close() {
        super.close();
        inner.close();
        mosaicInputs.clear();
        mosaicOutputs.clear();
    }
}
