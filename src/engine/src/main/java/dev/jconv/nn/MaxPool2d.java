package dev.jconv.nn;

import dev.jconv.Tensor;
import java.util.stream.IntStream;

/**
 * {@code nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)} on {@code (N, C, H, W)}
 * or {@code (C, H, W)}: each output element is the maximum of its window, padding counting as {@code -inf}
 * and a NaN in the window winning, as in PyTorch. Stride defaults to the kernel size.
 *
 * <p>Output size per axis: {@code floor((in + 2 * padding - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0))
 * / stride) + 1}, one less in ceil mode when the last window would start inside the right padding. Checks and
 * messages are PyTorch's ({@link NnValidator#checkMaxPool2d}).
 */
public final class MaxPool2d implements Module {
    /** Planes at least this large (all of them together) are pooled in parallel. */
    private static final long PARALLEL_ELEMENTS = 1 << 16;

    private final IntOrPair kernel;
    private final IntOrPair stride;
    private final IntOrPair padding;
    private final IntOrPair dilation;
    private final boolean ceilMode;

    private MaxPool2d(Builder b) {
        this.kernel = b.kernel;
        this.stride = b.stride == null ? b.kernel : b.stride;
        this.padding = b.padding;
        this.dilation = b.dilation;
        this.ceilMode = b.ceilMode;
    }

    /** {@code nn.MaxPool2d(kernel_size)}: stride = kernel_size. */
    public MaxPool2d(int kernelSize) {
        this(builder(kernelSize));
    }

    /** {@code nn.MaxPool2d(kernel_size, stride)}. */
    public MaxPool2d(int kernelSize, int stride) {
        this(builder(kernelSize).stride(stride));
    }

    public static Builder builder(int kernelSize) {
        return new Builder(IntOrPair.of(kernelSize));
    }

    public static Builder builder(int kernelH, int kernelW) {
        return new Builder(IntOrPair.of(kernelH, kernelW));
    }

    @Override
    public int[] outputShape(int... inputShape) {
        return NnValidator.checkMaxPool2d(inputShape, kernel.values(), stride.values(), padding.values(),
                dilation.values(), ceilMode);
    }

    @Override
    public Tensor forward(Tensor input) {
        int[] outShape = outputShape(input.shape());
        Tensor out = Tensor.zeros(outShape);
        int rank = outShape.length;
        int inH = input.size(-2);
        int inW = input.size(-1);
        int outH = outShape[rank - 2];
        int outW = outShape[rank - 1];
        int planes = (int) (out.numel() / ((long) outH * outW));
        float[] in = input.data();
        float[] o = out.data();
        IntStream range = IntStream.range(0, planes);
        if ((long) planes * inH * inW >= PARALLEL_ELEMENTS) {
            range = range.parallel();
        }
        range.forEach(p -> pool(in, p * inH * inW, inH, inW, o, p * outH * outW, outH, outW));
        return out;
    }

    /** {@code {kernel, stride, padding, dilation}}, each {@code {height, width}}: what a device kernel needs. */
    int[][] window() {
        return new int[][] {kernel.values(), stride.values(), padding.values(), dilation.values()};
    }

    /**
     * One plane: PyTorch's loop (max over the window's in-bounds taps, row by row, NaN propagating, the first of
     * equal values kept). Windows wholly inside the plane, all but the borders', run without the bounds checks:
     * VGG-16's first 2x2 pool (64 planes of 224x224) took 9.5 ms through the checked loop alone (2 threads).
     */
    private void pool(float[] in, int inBase, int inH, int inW, float[] out, int outBase, int outH, int outW) {
        int kh = kernel.height();
        int kw = kernel.width();
        int sh = stride.height();
        int sw = stride.width();
        int ph = padding.height();
        int pw = padding.width();
        int dh = dilation.height();
        int dw = dilation.width();
        // Outputs [oy0, oy1) x [ox0, ox1) read only taps inside the plane.
        int oy0 = Math.min(outH, ceilDiv(ph, sh));
        int oy1 = Math.max(oy0, Math.min(outH, Math.floorDiv(inH - 1 - (kh - 1) * dh + ph, sh) + 1));
        int ox0 = Math.min(outW, ceilDiv(pw, sw));
        int ox1 = Math.max(ox0, Math.min(outW, Math.floorDiv(inW - 1 - (kw - 1) * dw + pw, sw) + 1));
        boolean twoByTwo = kh == 2 && kw == 2 && dh == 1 && dw == 1;
        for (int oy = 0; oy < outH; oy++) {
            int o = outBase + oy * outW;
            if (oy < oy0 || oy >= oy1) {
                for (int ox = 0; ox < outW; ox++) {
                    out[o + ox] = checkedMax(in, inBase, inH, inW, oy, ox);
                }
                continue;
            }
            for (int ox = 0; ox < ox0; ox++) {
                out[o + ox] = checkedMax(in, inBase, inH, inW, oy, ox);
            }
            int row = inBase + (oy * sh - ph) * inW - pw;
            // Math.max (branch-free, NaN winning) equals PyTorch's rule except between -0 and 0, where PyTorch keeps
            // the first: a zero result is worked out again tap by tap. A compare per tap instead, as branchy as
            // random data is, made the 2x2 pool of 64 planes of 224x224 cost 7.5-8.5 ms (2 threads). The 2x2 window
            // written out: through the general loop below that pool measured 6.0 ms against 2.2-3.7.
            if (twoByTwo) {
                for (int ox = ox0, x = row + ox0 * sw; ox < ox1; ox++, x += sw) {
                    float max = Math.max(Math.max(in[x], in[x + 1]), Math.max(in[x + inW], in[x + inW + 1]));
                    out[o + ox] = max != 0f ? max : inOrder(in, x, 2, 2, 1, 1, inW);
                }
            } else {
                for (int ox = ox0, x = row + ox0 * sw; ox < ox1; ox++, x += sw) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int r = 0, t = x; r < kh; r++, t += dh * inW) {
                        for (int c = 0; c < kw; c++) {
                            max = Math.max(max, in[t + c * dw]);
                        }
                    }
                    out[o + ox] = max != 0f ? max : inOrder(in, x, kh, kw, dh, dw, inW);
                }
            }
            for (int ox = ox1; ox < outW; ox++) {
                out[o + ox] = checkedMax(in, inBase, inH, inW, oy, ox);
            }
        }
    }

    /** The max of output {@code (oy, ox)}'s window, skipping taps outside the plane (the padding). */
    private float checkedMax(float[] in, int inBase, int inH, int inW, int oy, int ox) {
        int y0 = oy * stride.height() - padding.height();
        int x0 = ox * stride.width() - padding.width();
        float max = Float.NEGATIVE_INFINITY;
        for (int r = 0; r < kernel.height(); r++) {
            int y = y0 + r * dilation.height();
            if (y < 0 || y >= inH) {
                continue;
            }
            int row = inBase + y * inW;
            for (int s = 0; s < kernel.width(); s++) {
                int x = x0 + s * dilation.width();
                if (x >= 0 && x < inW) {
                    max = larger(max, in[row + x]);
                }
            }
        }
        return max;
    }

    /** The max of the window at {@code in[x]} (all taps inside the plane), by {@link #larger}, tap by tap. */
    private static float inOrder(float[] in, int x, int kh, int kw, int dh, int dw, int inW) {
        float max = Float.NEGATIVE_INFINITY;
        for (int r = 0; r < kh; r++) {
            for (int c = 0; c < kw; c++) {
                max = larger(max, in[x + r * dh * inW + c * dw]);
            }
        }
        return max;
    }

    /** PyTorch's update: {@code v} replaces {@code max} if greater or NaN. */
    private static float larger(float max, float v) {
        return v > max || Float.isNaN(v) ? v : max;
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    /** PyTorch's repr, e.g. {@code MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)}. */
    @Override
    public String toString() {
        return "MaxPool2d(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ", dilation="
                + dilation + ", ceil_mode=" + (ceilMode ? "True" : "False") + ")";
    }

    /** Builds a {@link MaxPool2d} with PyTorch's argument names and defaults. */
    public static final class Builder {
        private final IntOrPair kernel;
        private IntOrPair stride;
        private IntOrPair padding = IntOrPair.of(0);
        private IntOrPair dilation = IntOrPair.of(1);
        private boolean ceilMode;

        private Builder(IntOrPair kernel) {
            this.kernel = kernel;
        }

        public Builder stride(int s) {
            stride = IntOrPair.of(s);
            return this;
        }

        public Builder stride(int h, int w) {
            stride = IntOrPair.of(h, w);
            return this;
        }

        public Builder padding(int p) {
            padding = IntOrPair.of(p);
            return this;
        }

        public Builder padding(int h, int w) {
            padding = IntOrPair.of(h, w);
            return this;
        }

        public Builder dilation(int d) {
            dilation = IntOrPair.of(d);
            return this;
        }

        public Builder dilation(int h, int w) {
            dilation = IntOrPair.of(h, w);
            return this;
        }

        public Builder ceilMode(boolean c) {
            ceilMode = c;
            return this;
        }

        public MaxPool2d build() {
            return new MaxPool2d(this);
        }
    }
}
