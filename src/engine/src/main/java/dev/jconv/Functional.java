package dev.jconv;

import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvPlan;

/**
 * The functional form, {@code torch.nn.functional.conv2d}:
 * {@code conv2d(input, weight, bias, stride, padding, dilation, groups)}.
 *
 * <p>Shapes: input {@code (N, C, H, W)} or unbatched {@code (C, H, W)}; weight {@code (K, C / groups, kH, kW)};
 * bias {@code (K)} or null. The output is {@code (N, K, Hout, Wout)} (unbatched in, unbatched out) with
 * {@code Hout = floor((H + padTop + padBottom - dilation * (kH - 1) - 1) / stride) + 1}, likewise Wout.
 * Bad arguments throw {@link IllegalArgumentException} with PyTorch's message before any work is done.
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

    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, ConvParams params) {
        return conv2d(input, weight, bias, params, Backends.AUTO);
    }

    /**
     * The general form: any {@link ConvParams} (padding modes included, which PyTorch offers only on the
     * module) on a backend picked by name or {@code auto}.
     */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, ConvParams params, String backend) {
        ConvGeometry g = ConvValidator.checkForward(input.shape(), weight.shape(),
                bias == null ? null : bias.shape(), params);
        Tensor out = Tensor.zeros(g.outputShape());
        if (out.numel() > 0) {
            ConvPlan plan = Backends.select(backend, g).backend().plan(g);
            plan.forward(input.data(), weight.data(), bias == null ? null : bias.data(), out.data());
        }
        return input.dim() == 3 ? out.reshape(g.outChannels(), g.outHeight(), g.outWidth()) : out;
    }
}
