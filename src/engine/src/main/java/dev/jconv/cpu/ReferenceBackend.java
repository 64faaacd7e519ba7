package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvolutionInterruptedException;
import dev.jconv.PaddingMode;
import dev.jconv.backend.Availability;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.ConvPlan;

/**
 * {@code cpu-reference}: the oracle every other backend is tested against. Plain loops straight from
 * the definition in {@link ConvGeometry}, accumulation in double, one thread, no caching. Keep it
 * obviously right rather than fast. An interrupted thread stops it between output rows
 * ({@link ConvolutionInterruptedException}).
 */
public final class ReferenceBackend implements ConvBackend {
    public static final String NAME = "cpu-reference";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability availability() {
        return Availability.yes("pure Java, always available");
    }

    @Override
    public ConvPlan plan(ConvGeometry geometry) {
        return new Plan(geometry);
    }

    private record Plan(ConvGeometry geometry) implements ConvPlan {
        @Override
        public void forward(float[] input, float[] weight, float[] bias, float[] output) {
            convolve(geometry, input, weight, bias, output);
        }

        @Override
        public String describe() {
            return "direct loops, double accumulation";
        }

        @Override
        public long retainedBytes() {
            return 0;
        }

        @Override
        public void close() {
            // holds nothing
        }
    }

    /**
     * The definition of Conv2d's forward pass; see {@link ConvGeometry} for the formula. Coordinates are 64-bit
     * ({@code oy * stride + r * dilation} passes 2^31 for large strides and dilations). A zero-padded tap multiplies
     * a real 0 by its weight, as PyTorch's dense convolution does, so an infinite or NaN weight on the border gives
     * NaN ({@code 0 * Inf}), exactly as in PyTorch; reads past the padding are never made.
     */
    static void convolve(ConvGeometry g, float[] in, float[] w, float[] bias, float[] out) {
        int cpg = g.inChannelsPerGroup();
        int kpg = g.outChannelsPerGroup();
        int h = g.inHeight();
        int wid = g.inWidth();
        PaddingMode mode = g.paddingMode();
        for (int n = 0; n < g.batch(); n++) {
            for (int k = 0; k < g.outChannels(); k++) {
                int firstChannel = (k / kpg) * cpg;
                for (int oy = 0; oy < g.outHeight(); oy++) {
                    ConvolutionInterruptedException.throwIfInterrupted(); // between output rows
                    for (int ox = 0; ox < g.outWidth(); ox++) {
                        double acc = bias == null ? 0.0 : bias[k];
                        for (int c = 0; c < cpg; c++) {
                            long plane = ((long) n * g.inChannels() + firstChannel + c) * h;
                            for (int r = 0; r < g.kernelH(); r++) {
                                int iy = mode.sourceIndex((long) oy * g.strideH() - g.padTop() + (long) r * g.dilationH(), h);
                                for (int s = 0; s < g.kernelW(); s++) {
                                    int ix = mode.sourceIndex((long) ox * g.strideW() - g.padLeft() + (long) s * g.dilationW(), wid);
                                    double x = iy < 0 || ix < 0 ? 0.0 : in[(int) ((plane + iy) * wid + ix)];
                                    double wv = w[((k * cpg + c) * g.kernelH() + r) * g.kernelW() + s];
                                    acc += x * wv;
                                }
                            }
                        }
                        out[((n * g.outChannels() + k) * g.outHeight() + oy) * g.outWidth() + ox] = (float) acc;
                    }
                }
            }
        }
    }
}
