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
}
