package dev.jconv;


/**
 * The functional form, {@code torch.nn.functional.conv2d}:
 * {@code conv2d(input, weight, bias, stride, padding, dilation, groups)}.
 *
 * <p>Shapes: input {@code (N, C, H, W)} or unbatched {@code (C, H, W)}; weight {@code (K, C / groups, kH, kW)};
 * bias {@code (K)} or null. The output is {@code (N, K, Hout, Wout)} (unbatched in, unbatched out) with
 * {@code Hout = floor((H + padTop + padBottom - dilation * (kH - 1) - 1) / stride) + 1}, likewise Wout.
 * Bad arguments throw {@link IllegalArgumentException} with PyTorch's message before any work is done.
 * Each call goes through a {@link ConvolutionPlan} (see there for threads, caching and interrupts).
 */
public final class Functional {
    private Functional() {}

    public static Tensor conv2d(Tensor input, Tensor weight) {
        return conv2d(input, weight, null, ConvParams.defaults());
    }

    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias) {
        return conv2d(input, weight, bias, ConvParams.defaults());
    }

    /** PyTorch's positional form with integer stride, padding and dilation. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int stride, int padding, int dilation,
                                int groups) {
        return conv2d(input, weight, bias, new ConvParams(stride, stride, Padding.of(padding), dilation, dilation,
                groups, PaddingMode.ZEROS));
    }

    /** PyTorch's positional form with {@code "same"}/{@code "valid"} or explicit {@link Padding}. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int stride, Padding padding, int dilation,
                                int groups) {
        return conv2d(input, weight, bias, new ConvParams(stride, stride, padding, dilation, dilation, groups,
                PaddingMode.ZEROS));
    }

    /** Any {@link ConvParams}, with {@link Options#defaults()} (so {@code auto} unless the environment names a backend). */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, ConvParams params) {
        return conv2d(input, weight, bias, params, Options.defaults());
    }

    /**
     * The general form: any {@link ConvParams} (padding modes included, which PyTorch offers only on the
     * module) on a backend picked by name or {@code auto}, other options from {@link Options#defaults()}.
     */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, ConvParams params, String backend) {
        return conv2d(input, weight, bias, params, Options.defaults().withBackend(backend));
    }

    /**
     * Every choice explicit: plans (or finds the cached plan) for these shapes with {@code options}, runs it once
     * into a new output. Code that runs the same shapes many times can hold the {@link ConvolutionPlan} instead.
     */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, ConvParams params, Options options) {
        try (ConvolutionPlan plan = ConvolutionPlan.create(input.shape(), weight.shape(),
                bias == null ? null : bias.shape(), params, options)) {
            return plan.forward(input, weight, bias);
        }
    }

    /** {@code relu(conv2d(...))} when {@code postOp} is {@link PostOp#RELU}, fused where the backend can. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, ConvParams params, String backend,
                                PostOp postOp) {
        try (ConvolutionPlan plan = ConvolutionPlan.create(input.shape(), weight.shape(),
                bias == null ? null : bias.shape(), params, Options.defaults().withBackend(backend), postOp)) {
            return plan.forward(input, weight, bias);
        }
    }

    /**
     * {@code torch.nn.functional.conv1d}: input {@code (N, C, L)} or unbatched {@code (C, L)}, weight
     * {@code (K, C / groups, k)}, bias {@code (K)} or null; output {@code (N, K, Lout)}. Computed as PyTorch does,
     * as a 2-D convolution of height 1, so it runs on every backend: {@code params} holds the 1-D stride, padding
     * and dilation on its width axis (see {@link ConvParams#conv1d}). Checked with {@code conv1d}'s messages first.
     */
    public static Tensor conv1d(Tensor input, Tensor weight, Tensor bias, ConvParams params, String backend,
                                PostOp postOp) {
        ConvGeometry g = ConvValidator.checkForward1d(input.shape(), weight.shape(),
                bias == null ? null : bias.shape(), params);
        Tensor out = conv2d(input.reshape(g.inputShape()), weight.reshape(g.weightShape()), bias, params, backend,
                postOp);
        return input.dim() == 2 ? out.reshape(g.outChannels(), g.outWidth())
                : out.reshape(g.batch(), g.outChannels(), g.outWidth());
    }

    /**
     * {@code torch.nn.functional.linear}: {@code input (*, in) @ weight(out, in)^T + bias(out)}, output
     * {@code (*, out)}. Computed as the 1x1 convolution {@code weight * x^T}: the {@code M} input rows become
     * {@code M} pixels of one image with {@code in} channels, so every backend runs it as one GEMM (the transposes
     * cost {@code M * (in + out)} copies against {@code M * in * out} multiply-adds; none when {@code M == 1}).
     */
    public static Tensor linear(Tensor input, Tensor weight, Tensor bias, String backend) {
        int in = weight.size(1);
        int outFeatures = weight.size(0);
        int[] outShape = input.shape();
        outShape[outShape.length - 1] = outFeatures;
        int rows = 1;
        for (int d = 0; d < outShape.length - 1; d++) {
            rows *= outShape[d];
        }
        if (rows == 0 || in == 0 || outFeatures == 0) {
            // nothing to multiply: the bias alone (a sum over no inputs is zero), as PyTorch returns
            Tensor y = Tensor.zeros(outShape);
            for (int i = 0; bias != null && i < y.numel(); i++) {
                y.data()[i] = bias.data()[i % outFeatures];
            }
            return y;
        }
        Tensor pixels = Tensor.of(transpose(input.data(), rows, in), 1, in, 1, rows);
        Tensor y = conv2d(pixels, weight.reshape(outFeatures, in, 1, 1), bias, ConvParams.defaults(), backend);
        return Tensor.of(transpose(y.data(), outFeatures, rows), outShape);
    }

    /** {@code a (rows x cols)} transposed; a single row or column is the same array. */
    private static float[] transpose(float[] a, int rows, int cols) {
        if (rows == 1 || cols == 1) {
            return a;
        }
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    /** The plan that {@link #conv2d}/{@link #conv1d} would run for {@code g}, in words, for {@code --explain}. */
    public static String describe(ConvGeometry g, boolean hasBias, ConvParams params, String backend, PostOp postOp) {
        try (ConvolutionPlan plan = ConvolutionPlan.create(g.inputShape(), g.weightShape(),
                hasBias ? new int[] {g.outChannels()} : null, params, Options.defaults().withBackend(backend), postOp)) {
            return plan.backend() + " (" + plan.selectionReason() + "): " + plan.describe();
        }
    }
}
