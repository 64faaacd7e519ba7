package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.backend.ConvPlan;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;

/**
 * Depthwise convolution ({@code groups == in_channels}, any channel multiplier) as a direct kernel: each
 * output channel is a {@code kH x kW} stencil over one input channel, too little arithmetic per input value
 * for a GEMM to pay. Per task the input channel is written once into a per-thread {@link FlatLayout} plane
 * (padding and stride phases applied, small enough to stay in L1/L2), then every output channel of its group
 * is swept with four vectors of flat positions per step, the taps' weights broadcast from the weight row.
 */
final class DepthwisePlan implements ConvPlan {
    private static final int VECTORS = 4;
    private static final ThreadLocal<float[]> PLANE = ThreadLocal.withInitial(() -> new float[0]);

    private final ConvGeometry g;
    private final FlatLayout layout;
    private final VectorStores stores;
    private final WorkerPool pool;
    private final int taps;
    private final int vectorsPerPlane;
    private final int channelsPerTask;
    private volatile boolean closed;

    DepthwisePlan(ConvGeometry g, WorkerPool pool) {
        this.g = g;
        this.pool = pool;
        this.layout = new FlatLayout(g);
        this.stores = new VectorStores(layout);
        taps = g.kernelH() * g.kernelW();
        vectorsPerPlane = FlatLayout.ceilDiv(layout.flatLength, GemmKernel.LANES);
        int planes = g.batch() * g.inChannels();
        channelsPerTask = Math.max(1, FlatLayout.ceilDiv(planes, pool.threads() * 8));
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        CpuPlans.checkOpen(closed);
        CpuPlans.checkLengths(g, input, weight, bias, output);
        int planes = g.batch() * g.inChannels();
        pool.forEach(FlatLayout.ceilDiv(planes, channelsPerTask), task -> {
            float[] plane = PLANE.get();
            if (plane.length < layout.channelStride + FlatLayout.SLACK) {
                plane = new float[layout.channelStride + FlatLayout.SLACK];
                PLANE.set(plane);
            }
            for (int p = task * channelsPerTask, end = Math.min(planes, p + channelsPerTask); p < end; p++) {
                channel(input, weight, bias, output, p / g.inChannels(), p % g.inChannels(), plane);
            }
        });
    }

    private void channel(float[] input, float[] w, float[] bias, float[] out, int n, int c, float[] plane) {
        layout.fill(input, n, c, plane, 0);
        int[] offsets = layout.tapOffset;
        int multiplier = g.outChannelsPerGroup();
        int planeStride = g.outHeight() * g.outWidth();
        int lanes = GemmKernel.LANES;
        for (int k = c * multiplier; k < (c + 1) * multiplier; k++) {
            int out0 = (n * g.outChannels() + k) * planeStride;
            int w0 = k * taps;
            FloatVector start = bias == null ? FloatVector.zero(GemmKernel.F)
                    : FloatVector.broadcast(GemmKernel.F, bias[k]);
            int q = 0;
            for (; q + VECTORS <= vectorsPerPlane; q += VECTORS) {
                int j = q * lanes;
                FloatVector a0 = start;
                FloatVector a1 = start;
                FloatVector a2 = start;
                FloatVector a3 = start;
                for (int t = 0; t < taps; t++) {
                    FloatVector x = FloatVector.broadcast(GemmKernel.F, w[w0 + t]);
                    int o = j + offsets[t];
                    a0 = x.fma(FloatVector.fromArray(GemmKernel.F, plane, o), a0);
                    a1 = x.fma(FloatVector.fromArray(GemmKernel.F, plane, o + lanes), a1);
                    a2 = x.fma(FloatVector.fromArray(GemmKernel.F, plane, o + 2 * lanes), a2);
                    a3 = x.fma(FloatVector.fromArray(GemmKernel.F, plane, o + 3 * lanes), a3);
                }
                stores.store(a0, out, out0, q);
                stores.store(a1, out, out0, q + 1);
                stores.store(a2, out, out0, q + 2);
                stores.store(a3, out, out0, q + 3);
            }
            for (; q < vectorsPerPlane; q++) {
                int j = q * lanes;
                FloatVector a = start;
                for (int t = 0; t < taps; t++) {
                    a = FloatVector.broadcast(GemmKernel.F, w[w0 + t])
                            .fma(FloatVector.fromArray(GemmKernel.F, plane, j + offsets[t]), a);
                }
                stores.store(a, out, out0, q);
            }
        }
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT,
                "depthwise direct %dx%d stencil per channel (multiplier %d) on a padded per-thread plane"
                        + " (row width %d for %d outputs), %d-lane FloatVector FMAs, %d thread%s",
                g.kernelH(), g.kernelW(), g.outChannelsPerGroup(), layout.rowWidth, g.outWidth(),
                GemmKernel.LANES, pool.threads(), pool.threads() == 1 ? "" : "s");
    }

    @Override
    public void close() {
        closed = true;
    }
}
