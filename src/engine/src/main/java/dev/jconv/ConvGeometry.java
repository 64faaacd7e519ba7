package dev.jconv;

/**
 * One convolution fully resolved for one input shape: batch-first sizes, the padding actually applied
 * on each side (PyTorch's {@code same} puts the odd pixel on the bottom/right), and the output size.
 * It is the key every backend plans and caches on, and everything a kernel needs.
 *
 * <p>Output size per axis: {@code out = (in + padBefore + padAfter - dilation * (k - 1) - 1) / stride + 1}.
 * Element {@code (n, k, y, x)} of the output is
 * {@code bias[k] + sum over c in k's group, r, s of w[k, c, r, s] * in[n, g*C/G + c, y*strideH - padTop + r*dilationH, x*strideW - padLeft + s*dilationW]},
 * where reads outside the input go through {@link PaddingMode#sourceIndex}.
 */
public record ConvGeometry(
        int batch, int inChannels, int inHeight, int inWidth,
        int outChannels, int kernelH, int kernelW,
        int strideH, int strideW, int dilationH, int dilationW,
        int padTop, int padBottom, int padLeft, int padRight,
        int groups, PaddingMode paddingMode,
        int outHeight, int outWidth) {

    /** Input channels seen by one output channel: {@code C / groups}. */
    public int inChannelsPerGroup() {
        return inChannels / groups;
    }

    public int outChannelsPerGroup() {
        return outChannels / groups;
    }

    public int[] inputShape() {
        return new int[] {batch, inChannels, inHeight, inWidth};
    }

    public int[] weightShape() {
        return new int[] {outChannels, inChannelsPerGroup(), kernelH, kernelW};
    }

    public int[] outputShape() {
        return new int[] {batch, outChannels, outHeight, outWidth};
    }

    public boolean isDepthwise() {
        return groups == inChannels && groups > 1;
    }

    public boolean isPointwise() {
        return kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1
                && padTop == 0 && padBottom == 0 && padLeft == 0 && padRight == 0;
    }

    /** Rows of the padded input, in 64 bits: padding may be as large as an int. */
    public long paddedHeight() {
        return (long) inHeight + padTop + padBottom;
    }

    public long paddedWidth() {
        return (long) inWidth + padLeft + padRight;
    }

    /** Extent of a dilated kernel, {@code dilation * (k - 1) + 1}, in 64 bits (up to about 2^62). */
    public static long effectiveKernel(int dilation, int k) {
        return (long) dilation * (k - 1) + 1;
    }

    /**
     * Whether every padded coordinate a kernel forms, {@code y * stride + r * dilation}, and the padded sizes fit a
     * 32-bit int. The validator accepts larger ones (PyTorch computes them: a stride of 2^31 - 1 with as much
     * padding is a 3x3 output); backends that index in int (the GPU kernels) must refuse them instead of wrapping.
     */
    public boolean fitsIntCoordinates() {
        long reachH = (long) Math.max(0, outHeight - 1) * strideH + (long) (kernelH - 1) * dilationH;
        long reachW = (long) Math.max(0, outWidth - 1) * strideW + (long) (kernelW - 1) * dilationW;
        return Math.max(Math.max(reachH, reachW), Math.max(paddedHeight(), paddedWidth())) <= Integer.MAX_VALUE;
    }

    public long outputElements() {
        return Shapes.elements(outputShape());
    }

    /** Floating-point operations of one forward pass, counting a multiply-add as two. */
    public double flops() {
        return 2.0 * batch * outChannels * (double) outHeight * outWidth * inChannelsPerGroup() * kernelH * kernelW;
    }

    /** This geometry with another batch size (plans may be shared across batch sizes). */
    public ConvGeometry withBatch(int n) {
        return new ConvGeometry(n, inChannels, inHeight, inWidth, outChannels, kernelH, kernelW, strideH, strideW,
                dilationH, dilationW, padTop, padBottom, padLeft, padRight, groups, paddingMode, outHeight, outWidth);
    }
}
