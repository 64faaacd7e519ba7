package dev.jconv;

/**
 * The one place that checks convolution arguments and owns every message a user sees about them.
 * Messages are PyTorch 1.13's wording (the golden fixtures record PyTorch's own text), with sizes
 * added where PyTorch names none. Every check runs before any work or allocation.
 */
public final class ConvValidator {
    private ConvValidator() {}

    // ---- nn.Conv2d construction (PyTorch raises ValueError for these) ----

    /** Checks a layer's constructor arguments, as {@code nn.Conv2d.__init__} and then its forward would. */
    public static void checkLayer(int inChannels, int outChannels, int kernelH, int kernelW, ConvParams p) {
        positive("in_channels", inChannels);
        positive("out_channels", outChannels);
        if (kernelH <= 0 || kernelW <= 0) {
            throw bad(kernelSizeNotPositive(kernelH, kernelW));
        }
        if (p.groups() <= 0) {
            throw bad("groups must be a positive integer");
        }
        if (inChannels % p.groups() != 0) {
            throw bad("in_channels must be divisible by groups");
        }
        if (outChannels % p.groups() != 0) {
            throw bad("out_channels must be divisible by groups");
        }
        checkParams(p);
    }

    // ---- F.conv2d / forward ----

    /**
     * Checks a forward pass and resolves it into a {@link ConvGeometry}. {@code inputShape} may be 3-D
     * (unbatched) or 4-D; {@code biasShape} is null when there is no bias. Checks run in PyTorch's order.
     */
    public static ConvGeometry checkForward(int[] inputShape, int[] weightShape, int[] biasShape, ConvParams p) {
        return check(2, inputShape, weightShape, biasShape, p);
    }

    /**
     * {@code F.conv1d}'s checks, with its messages and shapes: input {@code (N, C, L)} or unbatched {@code (C, L)},
     * weight {@code (K, C / groups, k)}. The geometry is the 2-D one PyTorch computes it as, height 1: {@code p}'s
     * width axis carries the 1-D stride, padding and dilation, its height axis must be the trivial one.
     */
    public static ConvGeometry checkForward1d(int[] inputShape, int[] weightShape, int[] biasShape, ConvParams p) {
        return check(1, inputShape, weightShape, biasShape, p);
    }

    /** {@code conv1d} or {@code conv2d} ({@code dims}), every shape in messages as the caller gave it. */
    private static ConvGeometry check(int dims, int[] inputShape, int[] weightShape, int[] biasShape, ConvParams p) {
        if (inputShape.length != dims + 1 && inputShape.length != dims + 2) {
            throw bad("Expected " + (dims + 1) + "D (unbatched) or " + (dims + 2) + "D (batched) input to conv" + dims
                    + "d, but got input of size: " + Shapes.format(inputShape));
        }
        int[] batched = inputShape.length == dims + 2 ? inputShape : prepend(1, inputShape);
        int[] in = dims == 2 ? batched : new int[] {batched[0], batched[1], 1, batched[2]};
        checkParams(p);
        if (weightShape.length != dims + 2) {
            throw bad("Expected " + weightShape.length + "-dimensional input for " + weightShape.length
                    + "-dimensional weight " + Shapes.format(weightShape) + ", but got " + batched.length
                    + "-dimensional input of size " + Shapes.format(batched) + " instead");
        }
        int kh = dims == 2 ? weightShape[2] : 1;
        int kw = weightShape[dims + 1];
        if (kh <= 0 || kw <= 0) {
            throw bad(kernelSizeNotPositive(kh, kw));
        }
        int g = p.groups();
        if (weightShape[0] < g) {
            throw bad("Given groups=" + g + ", expected weight to be at least " + g
                    + " at dimension 0, but got weight of size " + Shapes.format(weightShape) + " instead");
        }
        if (weightShape[0] % g != 0) {
            throw bad("Given groups=" + g + ", expected weight to be divisible by " + g
                    + " at dimension 0, but got weight of size " + Shapes.format(weightShape) + " instead");
        }
        if (weightShape[1] <= 0) {
            // PyTorch lets a weight without input channels through (and returns a malformed empty tensor); jconv does not.
            throw bad("Given groups=" + g + ", expected weight to have at least 1 input channel at dimension 1, "
                    + "but got weight of size " + Shapes.format(weightShape) + " instead");
        }
        if (in[1] != weightShape[1] * g) {
            throw bad("Given groups=" + g + ", weight of size " + Shapes.format(weightShape) + ", expected input"
                    + Shapes.format(batched) + " to have " + (weightShape[1] * g) + " channels, but got " + in[1]
                    + " channels instead");
        }
        if (biasShape != null && (biasShape.length != 1 || biasShape[0] != weightShape[0])) {
            throw bad("Given weight of size " + Shapes.format(weightShape) + ", expected bias to be 1-dimensional with "
                    + weightShape[0] + " elements, but got bias of size " + Shapes.format(biasShape) + " instead");
        }

        long[] padH = sidePadding(p.padding(), p.padding().height(), p.dilationH(), kh);
        long[] padW = sidePadding(p.padding(), p.padding().width(), p.dilationW(), kw);
        if (p.paddingMode() != PaddingMode.ZEROS) {
            checkModePadding(p.paddingMode(), inputShape, dims == 2 ? padH : null, padW);
        }
        // Sizes in 64 bits, as PyTorch computes them: a padded size or an effective kernel can pass 2^31.
        long paddedH = in[2] + padH[0] + padH[1];
        long paddedW = in[3] + padW[0] + padW[1];
        long effKh = ConvGeometry.effectiveKernel(p.dilationH(), kh);
        long effKw = ConvGeometry.effectiveKernel(p.dilationW(), kw);
        if (paddedH < effKh || paddedW < effKw) {
            throw bad("Calculated padded input size per channel: ("
                    + (dims == 2 ? paddedH + " x " + paddedW : paddedW) + "). Kernel size: ("
                    + (dims == 2 ? effKh + " x " + effKw : effKw) + "). Kernel size can't be greater than actual input size");
        }
        if (in[0] > 0 && (in[2] == 0 || in[3] == 0)) {
            throw bad("Only zero batch or zero channel inputs are supported, but got input shape: "
                    + Shapes.format(batched));
        }
        long outH = (paddedH - effKh) / p.strideH() + 1;
        long outW = (paddedW - effKw) / p.strideW() + 1;
        if (outH > Integer.MAX_VALUE || outW > Integer.MAX_VALUE) {
            throw bad("Calculated output size per channel: (" + outH + " x " + outW + ") from padded input size ("
                    + paddedH + " x " + paddedW + ") and kernel size (" + effKh + " x " + effKw
                    + ") is too large: a dimension can be at most " + Integer.MAX_VALUE);
        }
        if (Math.max(Math.max(padH[0], padH[1]), Math.max(padW[0], padW[1])) > Integer.MAX_VALUE) {
            throw bad("padding='same' with dilation " + Shapes.tuple(p.dilationH(), p.dilationW()) + " and kernel size "
                    + Shapes.tuple(kh, kw) + " pads (top, bottom, left, right) " + Shapes.tuple(padH[0], padH[1],
                    padW[0], padW[1]) + ", more than " + Integer.MAX_VALUE + " on one side");
        }
        return new ConvGeometry(in[0], in[1], in[2], in[3], weightShape[0], kh, kw,
                p.strideH(), p.strideW(), p.dilationH(), p.dilationW(),
                (int) padH[0], (int) padH[1], (int) padW[0], (int) padW[1], g, p.paddingMode(), (int) outH, (int) outW);
    }

    /**
     * Checks that a forward pass's output fits one Java array (PyTorch's tensors are 64-bit sized; jconv's are
     * Java arrays). Call it before allocating the output.
     */
    public static void checkOutputFits(ConvGeometry g) {
        if (g.outputElements() > Shapes.MAX_ELEMENTS) {
            throw bad("output of size " + Shapes.format(g.outputShape()) + " has " + g.outputElements()
                    + " elements, more than a Java array holds (" + Shapes.MAX_ELEMENTS + ")");
        }
    }

    private static int[] prepend(int first, int[] rest) {
        int[] out = new int[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    /** Checks the data tensor of a forward call against the geometry the validator resolved. */
    public static void checkOutput(ConvGeometry g, int[] outputShape) {
        int[] expected = g.outputShape();
        if (!java.util.Arrays.equals(expected, outputShape)) {
            throw bad("expected an output of size " + Shapes.format(expected) + ", but got one of size "
                    + Shapes.format(outputShape));
        }
    }

    /** Checks one operand of a planned call, e.g. {@code expected input of size [1, 3, 8, 8], but got input of size [...]}. */
    public static void checkShape(String role, int[] expected, int[] actual) {
        if (!java.util.Arrays.equals(expected, actual)) {
            throw bad("expected " + role + " of size " + Shapes.format(expected) + ", but got " + role + " of size "
                    + Shapes.format(actual));
        }
    }

    private static void checkParams(ConvParams p) {
        Padding pad = p.padding();
        if (pad.kind() == Padding.Kind.SAME && p.isStrided()) {
            throw bad("padding='same' is not supported for strided convolutions");
        }
        if (pad.height() < 0 || pad.width() < 0) {
            throw bad("negative padding is not supported");
        }
        if (p.strideH() <= 0 || p.strideW() <= 0) {
            throw bad("non-positive stride is not supported");
        }
        if (p.dilationH() <= 0 || p.dilationW() <= 0) {
            throw bad("dilation should be greater than zero, but got " + Shapes.format(p.dilationH(), p.dilationW()));
        }
        if (p.groups() <= 0) {
            throw bad("non-positive groups is not supported");
        }
    }

    /** Padding before and after one axis: explicit is symmetric; {@code same} puts the extra pixel after. */
    private static long[] sidePadding(Padding padding, int explicit, int dilation, int k) {
        return switch (padding.kind()) {
            case EXPLICIT -> new long[] {explicit, explicit};
            case VALID -> new long[] {0, 0};
            case SAME -> {
                long total = (long) dilation * (k - 1);
                yield new long[] {total / 2, total - total / 2};
            }
        };
    }

    /**
     * The limits {@code F.pad} puts on reflect and circular padding, checked width first as PyTorch does;
     * {@code padH} is null for a 1-D convolution (no height axis to pad).
     */
    private static void checkModePadding(PaddingMode mode, int[] rawInput, long[] padH, long[] padW) {
        int rank = rawInput.length;
        long[][] axes = padH == null ? new long[][] {{rank - 1, padW[0], padW[1], 4}}
                : new long[][] {{rank - 1, padW[0], padW[1], 4}, {rank - 2, padH[0], padH[1], 6}};
        for (long[] a : axes) {
            int dim = (int) a[0];
            int size = rawInput[dim];
            long before = a[1];
            long after = a[2];
            if (mode == PaddingMode.REFLECT && (before >= size || after >= size)) {
                throw bad("Argument #" + a[3] + ": Padding size should be less than the corresponding input dimension, "
                        + "but got: padding (" + before + ", " + after + ") at dimension " + dim + " of input "
                        // reflection_pad1d (conv1d's) names the input's size, reflection_pad2d only its rank
                        + (padH == null ? Shapes.format(rawInput) : Integer.toString(rank)));
            }
            if (mode == PaddingMode.CIRCULAR && (before > size || after > size)) {
                throw bad("Padding value causes wrapping around more than once. (circular padding (" + before + ", "
                        + after + ") at dimension " + dim + " of input of size " + Shapes.format(rawInput) + ")");
            }
        }
    }

    // ---- messages shared with the parsers ----

    public static String invalidPaddingString(String text) {
        return "Invalid padding string '" + text + "', should be one of {'same', 'valid'}";
    }

    static String invalidPaddingMode(String name) {
        return "padding_mode must be one of {'circular', 'reflect', 'replicate', 'zeros'}, but got padding_mode='"
                + name + "'";
    }

    private static String kernelSizeNotPositive(int kh, int kw) {
        return "kernel size should be greater than zero, but got kernel_height: " + kh + " kernel_width: " + kw;
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw bad(name + " must be a positive integer, but got " + name + "=" + value);
        }
    }

    private static IllegalArgumentException bad(String message) {
        return new IllegalArgumentException(message);
    }
}
