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

    /** One plane: PyTorch's loop (max over the window's in-bounds taps, NaN propagating). */
    private void pool(float[] in, int inBase, int inH, int inW, float[] out, int outBase, int outH, int outW) {
        int kh = kernel.height();
        int kw = kernel.width();
        int sh = stride.height();
        int sw = stride.width();
        int ph = padding.height();
        int pw = padding.width();
        int dh = dilation.height();
        int dw = dilation.width();
        for (int oy = 0; oy < outH; oy++) {
            int y0 = oy * sh - ph;
            for (int ox = 0; ox < outW; ox++) {
                int x0 = ox * sw - pw;
                float max = Float.NEGATIVE_INFINITY;
                for (int r = 0; r < kh; r++) {
                    int y = y0 + r * dh;
                    if (y < 0 || y >= inH) {
                        continue;
                    }
                    int row = inBase + y * inW;
                    for (int s = 0; s < kw; s++) {
                        int x = x0 + s * dw;
                        if (x < 0 || x >= inW) {
                            continue;
                        }
                        float v = in[row + x];
                        if (v > max || Float.isNaN(v)) {
                            max = v;
                        }
                    }
                }
                out[outBase + oy * outW + ox] = max;
            }
        }
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
