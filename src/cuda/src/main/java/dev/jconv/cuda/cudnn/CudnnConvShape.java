package dev.jconv.cuda.cudnn;

import dev.jconv.ConvGeometry;
import dev.jconv.PaddingMode;

/**
 * The convolution cuDNN is asked to run for a {@link ConvGeometry}: the values of its tensor, filter
 * and convolution descriptors. cuDNN pads symmetrically with zeros only, so a geometry with asymmetric
 * padding ({@code same} with an even effective kernel) or a non-zero padding mode with pads first
 * goes through a pad pass ({@link dev.jconv.cuda.Pad2dKernel}) and cuDNN sees the padded input with no
 * padding. Everything else maps one to one: groups ({@code cudnnSetConvolutionGroupCount}),
 * dilation, stride, and PyTorch's cross-correlation. Also the key of the benchmark cache: two
 * geometries with the same shape are the same cuDNN problem.
 *
 * @param c        input channels (all groups); the filter holds {@code c / groups} per output channel
 * @param h        input height as cuDNN sees it (after the pad pass, if any)
 */
public record CudnnConvShape(int n, int c, int h, int w, int k, int r, int s,
                             int padH, int padW, int strideH, int strideW, int dilationH, int dilationW,
                             int groups, int outH, int outW) {

    /** Whether {@code g} needs the pad pass before cuDNN. */
    public static boolean needsPadPass(ConvGeometry g) {
        boolean anyPad = g.padTop() + g.padBottom() + g.padLeft() + g.padRight() > 0;
        boolean symmetric = g.padTop() == g.padBottom() && g.padLeft() == g.padRight();
        return anyPad && (!symmetric || g.paddingMode() != PaddingMode.ZEROS);
    }

    public static CudnnConvShape of(ConvGeometry g) {
        boolean padPass = needsPadPass(g);
        int h = padPass ? g.inHeight() + g.padTop() + g.padBottom() : g.inHeight();
        int w = padPass ? g.inWidth() + g.padLeft() + g.padRight() : g.inWidth();
        CudnnConvShape shape = new CudnnConvShape(g.batch(), g.inChannels(), h, w, g.outChannels(), g.kernelH(), g.kernelW(),
                padPass ? 0 : g.padTop(), padPass ? 0 : g.padLeft(), g.strideH(), g.strideW(), g.dilationH(), g.dilationW(),
                g.groups(), g.outHeight(), g.outWidth());
        if (shape.expectedOutH() != g.outHeight() || shape.expectedOutW() != g.outWidth()) {
            throw new IllegalStateException("cuDNN shape " + shape + " would not give the geometry's output "
                    + g.outHeight() + "x" + g.outWidth());
        }
        return shape;
    }

    public int cPerGroup() {
        return c / groups;
    }

    /** cuDNN's own formula for the output height: {@code (h + 2*padH - dilationH*(r-1) - 1) / strideH + 1}. */
    int expectedOutH() {
        return (h + 2 * padH - dilationH * (r - 1) - 1) / strideH + 1;
    }

    int expectedOutW() {
        return (w + 2 * padW - dilationW * (s - 1) - 1) / strideW + 1;
    }

    public long inputElements() {
        return (long) n * c * h * w;
    }

    public long filterElements() {
        return (long) k * cPerGroup() * r * s;
    }

    public long outputElements() {
        return (long) n * k * outH * outW;
    }

    /** Null when cuDNN's legacy API (32-bit element counts per tensor) can describe it, else why not. */
    public String unsupportedReason() {
        long limit = Integer.MAX_VALUE;
        if (inputElements() > limit) {
            return "the input cuDNN sees has " + inputElements() + " elements, over cuDNN's 2^31-1 per tensor";
        }
        if (outputElements() > limit) {
            return "the output has " + outputElements() + " elements, over cuDNN's 2^31-1 per tensor";
        }
        if (filterElements() > limit) {
            return "the weight has " + filterElements() + " elements, over cuDNN's 2^31-1 per tensor";
        }
        return null;
    }

    /** e.g. {@code "x [32, 64, 58, 58] * w [64, 64, 3, 3], pad 0x0, stride 1x1, dilation 1x1, groups 1 -> y [32, 64, 56, 56]"}. */
    public String describe() {
        return "x [" + n + ", " + c + ", " + h + ", " + w + "] * w [" + k + ", " + cPerGroup() + ", " + r + ", " + s + "], pad "
                + padH + "x" + padW + ", stride " + strideH + "x" + strideW + ", dilation " + dilationH + "x" + dilationW
                + ", groups " + groups + " -> y [" + n + ", " + k + ", " + outH + ", " + outW + "]";
    }
}
