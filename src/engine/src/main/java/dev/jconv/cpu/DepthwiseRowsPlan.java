package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PaddingMode;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolution ({@code groups == in_channels}, any channel multiplier, kernel, stride, dilation, padding)
 * as a direct stencil along x: each output channel is a {@code kH x kW} stencil over one input channel, too little
 * arithmetic per input value for a GEMM to pay. Per task the input channel is written once into a per-thread
 * {@link FlatLayout} plane (padding and stride phases applied, small enough to stay in L1/L2), then every output
 * channel of its group is swept one output row at a time in vectors along x (a 3x3 stride-1 stencil four rows at a
 * time, sharing loads between rows), so every store but a row's ragged end is a plain vector store. MobileNet's 3x3
 * layers (stride 1 or 2, padding one, zeros) skip the copy: {@link DepthwiseInPlaceKernels} read the input in place,
 * whatever the width (the batch's first and last planes are copied with a margin for the reads beside them). Other
 * 3x3 layers with narrow outputs go across channels instead ({@link DepthwiseChannelBlockPlan}).
 *
 * <p>Until C2 has compiled an in-place kernel, it runs in C1's code, which boxes every vector (a 7x7 plane 100-200x
 * slower): while a kernel's timed planes (the first of each task) show that, the task's other planes run the plain
 * scalar loop, about 2x slower than the compiled kernel instead. On a JVM whose vector operations are not compiled
 * to vector instructions at all, the kernel never gets under the threshold and the scalar loop stays: there it is the
 * faster of the two.
 */
final class DepthwiseRowsPlan extends CpuPlan {
    private static final VectorSpecies<Float> F = GemmKernel.F;
    private static final int LANES = GemmKernel.LANES;
    private static final ThreadLocal<float[]> PLANE = ThreadLocal.withInitial(() -> new float[0]);
    /** A task's last output plane where the in-place kernels write past it, and the floats they write there. */
    private static final ThreadLocal<float[]> LAST_PLANE = ThreadLocal.withInitial(() -> new float[0]);

    private final FlatLayout layout;
    /** Whether {@link DepthwiseInPlaceKernels} run this layer on the input in place. */
    private final boolean inPlace;
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
    /** How far past an output plane the in-place kernels write ({@link DepthwiseInPlaceKernels#writesPast}). */
    private final int writesPast;
    /**
     * The in-place kernels seen running compiled ({@link DepthwiseInPlaceKernels#kind} bits), shared by every plan:
     * until a kernel's bit is set, calls run it on a few planes per task, timed, and {@link
     * DepthwiseInPlaceKernels#scalarPlane} on the rest. Set once and never cleared.
     */
    private static final AtomicInteger COMPILED_KERNELS = new AtomicInteger();
    /**
     * Nanoseconds per output under which a kernel counts as compiled: C2's kernels take about 1 per output (2-core
     * AMD EPYC, 7x7 to 112x112 planes), the same code before C2 compiles it 100-200 (C1 boxes every vector).
     */
    private static final long COMPILED_NANOS_PER_OUTPUT = 10;
    /** Outputs per task that a kernel not yet compiled runs on, timed (whole planes, at least one). */
    private static final int COLD_SAMPLE_OUTPUTS = 128;
    /** This plan's kernel's bit in {@link #COMPILED_KERNELS}. */
    private final int kernelBit;
    /** Planes per task a kernel not yet compiled runs on. */
    private final int coldSamplePlanes;
    /** Tests: every call as if the kernel were not compiled yet (and without marking it compiled). */
    private final boolean alwaysCold;

    DepthwiseRowsPlan(ConvGeometry g, WorkerPool pool) {
        this(g, pool, true);
    }

    /** Tests and benchmarks also run the padded copy where the in-place kernels could run. */
    DepthwiseRowsPlan(ConvGeometry g, WorkerPool pool, boolean inPlace) {
        this(g, pool, inPlace, false);
    }

    /** Tests also run the in-place kernels' cold phase on every call ({@code alwaysCold}). */
    DepthwiseRowsPlan(ConvGeometry g, WorkerPool pool, boolean inPlace, boolean alwaysCold) {
        super(g, pool);
        this.alwaysCold = alwaysCold;
        kernelBit = 1 << DepthwiseInPlaceKernels.kind(g.strideH(), g.inWidth());
        coldSamplePlanes = Math.max(1, FlatLayout.ceilDiv(COLD_SAMPLE_OUTPUTS, g.outHeight() * g.outWidth()));
        this.layout = new FlatLayout(g);
        taps = g.kernelH() * g.kernelW();
        threeByThree = g.kernelH() == 3 && g.kernelW() == 3;
        threeByThreeRows = g.kernelH() == 3 && g.kernelW() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.dilationH() == 1;
        columnStep = g.dilationW();
        lastX = Math.max(0, g.outWidth() - LANES);
        int planes = g.batch() * g.inChannels();
        channelsPerTask = Math.max(1, FlatLayout.ceilDiv(planes, pool.threads() * 8));
        this.inPlace = inPlace && readsInPlace(g);
        writesPast = this.inPlace ? DepthwiseInPlaceKernels.writesPast(g.strideH(), g.inWidth(), g.outWidth()) : 0;
    }

    /**
     * Whether {@link DepthwiseInPlaceKernels} run {@code g}: 3x3, one output channel per input channel, stride 1 or 2
     * both ways, no dilation, padding one on every side with zeros.
     */
    static boolean readsInPlace(ConvGeometry g) {
        return g.isDepthwise() && g.outChannelsPerGroup() == 1 && g.kernelH() == 3 && g.kernelW() == 3
                && g.strideH() == g.strideW() && g.strideH() <= 2 && g.dilationH() == 1 && g.dilationW() == 1
                && g.padTop() == 1 && g.padBottom() == 1 && g.padLeft() == 1 && g.padRight() == 1
                && g.paddingMode() == PaddingMode.ZEROS;
    }

    /** Whether this plan runs the in-place kernels (tests assert that they cover them). */
    boolean readsInPlace() {
        return inPlace;
    }

    @Override
    void compute(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        int planes = g.batch() * g.inChannels();
        // the layout's plane, or a plane copied with room for the in-place kernels' reads beside it
        int planeLength = Math.max(layout.channelStride + FlatLayout.SLACK,
                g.inHeight() * g.inWidth() + DepthwiseInPlaceKernels.READS_PAST + 1);
        pool.forEach(FlatLayout.ceilDiv(planes, channelsPerTask), task -> {
            float[] plane = PLANE.get();
            if (plane.length < planeLength) {
                plane = new float[planeLength];
                PLANE.set(plane);
            }
            float[] spill = inPlace ? null : new float[LANES];
            int first = task * channelsPerTask;
            int end = Math.min(planes, first + channelsPerTask);
            if (!inPlace) {
                for (int p = first; p < end; p++) {
                    channel(input, weight, bias, output, p / g.inChannels(), p % g.inChannels(), plane, spill);
                }
                return;
            }
            // the task's output planes are p (outChannels == inChannels), up to end's
            int limit = end * g.outHeight() * g.outWidth();
            if (!alwaysCold && (COMPILED_KERNELS.get() & kernelBit) != 0) {
                for (int p = first; p < end; p++) {
                    inPlace(input, weight, bias, output, p / g.inChannels(), p % g.inChannels(), plane, limit, true);
                }
                return;
            }
            int sampled = Math.min(end, first + coldSamplePlanes);
            long start = System.nanoTime();
            for (int p = first; p < sampled; p++) {
                inPlace(input, weight, bias, output, p / g.inChannels(), p % g.inChannels(), plane, limit, true);
            }
            long nanos = System.nanoTime() - start;
            for (int p = sampled; p < end; p++) {
                inPlace(input, weight, bias, output, p / g.inChannels(), p % g.inChannels(), plane, limit, false);
            }
            if (!alwaysCold && nanos < COMPILED_NANOS_PER_OUTPUT * (sampled - first) * g.outHeight() * g.outWidth()) {
                COMPILED_KERNELS.getAndUpdate(bits -> bits | kernelBit);
            }
        });
    }

    /**
     * One plane through {@link DepthwiseInPlaceKernels} ({@code vector}) or its scalar loop. The kernels may write
     * {@link #writesPast} floats past the plane: onto the task's next planes, computed after it, or where that would
     * reach {@code limit} (the end of the task's planes: the next ones may be another thread's) into a per-thread
     * plane copied out.
     */
    private void inPlace(float[] input, float[] w, float[] bias, float[] out, int n, int c, float[] plane,
                         int limit, boolean vector) {
        int outPlane = g.outHeight() * g.outWidth();
        int out0 = (n * g.outChannels() + c) * outPlane;
        int h = g.inHeight();
        int width = g.inWidth();
        float b = bias == null ? 0f : bias[c];
        if (!vector) {
            DepthwiseInPlaceKernels.scalarPlane(g.strideH(), input, (n * g.inChannels() + c) * h * width, width, h,
                    w, c * 9, b, out, out0, g.outWidth(), g.outHeight());
            return;
        }
        float[] dst = out;
        int dst0 = out0;
        if (out0 + outPlane + writesPast > limit) {
            dst = LAST_PLANE.get();
            if (dst.length < outPlane + writesPast) {
                dst = new float[outPlane + writesPast];
                LAST_PLANE.set(dst);
            }
            dst0 = 0;
        }
        int planeSize = h * width;
        int base = (n * g.inChannels() + c) * planeSize;
        if (base < 1 || base + planeSize + DepthwiseInPlaceKernels.READS_PAST > input.length) {
            // the batch's first or last plane: a copy with room for the reads beside it
            System.arraycopy(input, base, plane, 1, planeSize);
            DepthwiseInPlaceKernels.plane(g.strideH(), plane, 1, width, h, w, c * 9, b, dst, dst0, g.outWidth(),
                    g.outHeight());
        } else {
            DepthwiseInPlaceKernels.plane(g.strideH(), input, base, width, h, w, c * 9, b, dst, dst0,
                    g.outWidth(), g.outHeight());
        }
        if (dst != out) {
            System.arraycopy(dst, 0, out, out0, outPlane);
        }
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

    /** The layout's index tables only: the per-thread planes are shared by every plan, not kept by this one. */
    @Override
    public long retainedBytes() {
        return layout.tableBytes();
    }

    @Override
    public String describe() {
        if (inPlace) {
            return String.format(Locale.ROOT, "depthwise direct 3x3 stencil per channel, stride %d, reading the input"
                    + " in place (padding as masked lanes), vectors along output rows sliding down the plane, %s",
                    g.strideH(), threadCount());
        }
        return String.format(Locale.ROOT,
                "depthwise direct %dx%d stencil per channel (multiplier %d) on a padded per-thread copy of the channel"
                        + "%s, vectors along output rows, %s",
                g.kernelH(), g.kernelW(), g.outChannelsPerGroup(),
                threeByThreeRows ? ", four rows at a time sharing loads" : "", threadCount());
    }

}
