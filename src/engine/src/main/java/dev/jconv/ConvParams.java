package dev.jconv;

/**
 * Every hyper-parameter of a 2-D convolution that is not a tensor: the analogue of PyTorch's
 * {@code ConvParams}. Immutable; the {@code with*} methods return modified copies.
 *
 * <p>Values are not checked here: {@link ConvValidator} checks them, with PyTorch's messages, when
 * a layer is built or a forward pass is asked for.
 */
public record ConvParams(int strideH, int strideW, Padding padding, int dilationH, int dilationW, int groups,
                         PaddingMode paddingMode) {

    public ConvParams {
        if (padding == null || paddingMode == null) {
            throw new NullPointerException("padding and paddingMode must not be null");
        }
    }

    /** PyTorch's defaults: stride 1, padding 0, dilation 1, groups 1, zeros padding. */
    public static ConvParams defaults() {
        return new ConvParams(1, 1, Padding.of(0), 1, 1, 1, PaddingMode.ZEROS);
    }

    public ConvParams withStride(int h, int w) {
        return new ConvParams(h, w, padding, dilationH, dilationW, groups, paddingMode);
    }

    public ConvParams withStride(int s) {
        return withStride(s, s);
    }

    public ConvParams withPadding(Padding p) {
        return new ConvParams(strideH, strideW, p, dilationH, dilationW, groups, paddingMode);
    }

    public ConvParams withPadding(int p) {
        return withPadding(Padding.of(p));
    }

    public ConvParams withDilation(int h, int w) {
        return new ConvParams(strideH, strideW, padding, h, w, groups, paddingMode);
    }

    public ConvParams withDilation(int d) {
        return withDilation(d, d);
    }

    public ConvParams withGroups(int g) {
        return new ConvParams(strideH, strideW, padding, dilationH, dilationW, g, paddingMode);
    }

    public ConvParams withPaddingMode(PaddingMode m) {
        return new ConvParams(strideH, strideW, padding, dilationH, dilationW, groups, m);
    }

    /**
     * A 1-D convolution's parameters as the 2-D convolution of height 1 that computes it: the width axis carries
     * them, the height axis is stride 1, no padding, dilation 1 ({@code same}/{@code valid} pad no height either,
     * the kernel being 1 high).
     */
    public static ConvParams conv1d(int stride, Padding padding, int dilation, int groups, PaddingMode mode) {
        Padding widthOnly = padding.kind() == Padding.Kind.EXPLICIT ? Padding.of(0, padding.width()) : padding;
        return new ConvParams(1, stride, widthOnly, 1, dilation, groups, mode);
    }

    public boolean isStrided() {
        return strideH != 1 || strideW != 1;
    }

    public boolean isDilated() {
        return dilationH != 1 || dilationW != 1;
    }
}
