package dev.jconv;

import dev.jconv.backend.Backends;
import dev.jconv.nn.Module;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code torch.nn.Conv2d}: a 2-D convolution layer with its own weight and optional bias.
 *
 * <pre>{@code
 * Conv2d conv = Conv2d.builder(3, 16, 3).stride(1).padding(1).build();
 * Tensor y = conv.forward(Tensor.randn(0, 2, 3, 32, 32));   // [2, 16, 32, 32]
 * }</pre>
 *
 * <p>Names and defaults are PyTorch's: stride 1, padding 0 (an int, a pair, {@code "same"} or
 * {@code "valid"}), dilation 1, groups 1, bias true, padding_mode {@code "zeros"}. The weight has shape
 * {@code [out_channels, in_channels / groups, kH, kW]}, the bias {@code [out_channels]}; both start as
 * PyTorch initialises them (kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
 * both, fan_in = in_channels / groups * kH * kW), drawn from the builder's seed.
 *
 * <p>Output size per axis: {@code floor((in + 2 * padding - dilation * (k - 1) - 1) / stride) + 1}.
 *
 * <p>Each forward pass goes through a {@link ConvolutionPlan} for its input shape and this layer's {@link Options}
 * (plans are cached per shape, see there for memory and interrupts).
 *
 * <p>A {@link Module}: it goes into a {@link dev.jconv.nn.Sequential} and loads from a {@code state_dict} as
 * {@code weight} and {@code bias}.
 *
 * <p>Thread safety: {@link #forward} keeps no state between calls and may run on many threads at once.
 * Replacing the weight or bias with the setters is atomic per tensor; a forward running at that moment
 * sees either the old or the new tensor.
 */
public final class Conv2d implements Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernelH;
    private final int kernelW;
    private final ConvParams params;
    private final boolean hasBias;
    private volatile Tensor weight;
    private volatile Tensor bias;
    private volatile Options options;

    private Conv2d(Builder b) {
        ConvValidator.checkLayer(b.inChannels, b.outChannels, b.kernelH, b.kernelW, b.params);
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.kernelH = b.kernelH;
        this.kernelW = b.kernelW;
        this.params = b.params;
        this.hasBias = b.bias;
        Options o = b.options != null ? b.options : Options.defaults();
        this.options = b.backend != null ? o.withBackend(requireKnownBackend(b.backend)) : o;
        requireKnownBackend(options.backend());
        SplittableRandom rng = b.seed == null ? new SplittableRandom() : new SplittableRandom(b.seed);
        int fanIn = inChannels / params.groups() * kernelH * kernelW;
        float bound = (float) (1.0 / Math.sqrt(fanIn));
        this.weight = uniform(rng, bound, weightShape());
        this.bias = hasBias ? uniform(rng, bound, outChannels) : null;
    }

    /** {@code nn.Conv2d(in_channels, out_channels, kernel_size)} with every other argument at its default. */
    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(builder(inChannels, outChannels, kernelSize));
    }

    public static Builder builder(int inChannels, int outChannels, int kernelSize) {
        return new Builder(inChannels, outChannels, kernelSize, kernelSize);
    }

    public static Builder builder(int inChannels, int outChannels, int kernelH, int kernelW) {
        return new Builder(inChannels, outChannels, kernelH, kernelW);
    }

    /** Applies the layer to {@code (N, C, H, W)} or unbatched {@code (C, H, W)} input. */
    @Override
    public Tensor forward(Tensor input) {
        return Functional.conv2d(input, weight, bias, params, options);
    }

    /** {@code weight} and, with bias, {@code bias}: the live tensors, as {@code state_dict} names them. */
    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("weight", weight);
        if (bias != null) {
            p.put("bias", bias);
        }
        return p;
    }

    /** The output shape for an input shape, checked exactly as {@link #forward} checks it. */
    @Override
    public int[] outputShape(int... inputShape) {
        ConvGeometry g = ConvValidator.checkForward(inputShape, weightShape(), hasBias ? new int[] {outChannels} : null,
                params);
        return inputShape.length == 3 ? Arrays.copyOfRange(g.outputShape(), 1, 4) : g.outputShape();
    }

    public int[] weightShape() {
        return new int[] {outChannels, inChannels / params.groups(), kernelH, kernelW};
    }

    /** {@code [out_channels]}, or null without bias. */
    public int[] biasShape() {
        return hasBias ? new int[] {outChannels} : null;
    }

    /** Learnable parameters: {@code out * in / groups * kH * kW (+ out with bias)}. */
    @Override
    public long parameterCount() {
        return (long) outChannels * (inChannels / params.groups()) * kernelH * kernelW + (hasBias ? outChannels : 0);
    }

    /** The weight tensor itself (writes to it change the layer), shape {@link #weightShape()}. */
    public Tensor weight() {
        return weight;
    }

    /** The bias tensor itself, or null when the layer has none. */
    public Tensor bias() {
        return bias;
    }

    /** Loads a weight (copied), e.g. trained values; its shape must be {@link #weightShape()}. */
    public void setWeight(Tensor w) {
        ConvValidator.checkShape("weight", weightShape(), w.shape());
        this.weight = w.copy();
    }

    /** Loads a bias (copied); the layer must have been built with bias. */
    public void setBias(Tensor b) {
        if (!hasBias) {
            throw new IllegalArgumentException("this layer was built with bias=False and has no bias to set");
        }
        ConvValidator.checkShape("bias", new int[] {outChannels}, b.shape());
        this.bias = b.copy();
    }

    /** Runs later forward passes on the named backend ({@code auto} by default). */
    @Override
    public void setBackend(String name) {
        this.options = options.withBackend(requireKnownBackend(name));
    }

    /** Runs later forward passes with {@code o} (its backend included). */
    public void setOptions(Options o) {
        requireKnownBackend(o.backend());
        this.options = o;
    }

    /** The options forward passes run with ({@link Options#defaults()} unless set). */
    public Options options() {
        return options;
    }

    /** {@code auto} or a backend this build knows (available or not: that is checked at forward time). */
    private static String requireKnownBackend(String name) {
        if (!Backends.AUTO.equals(name)) {
            Backends.byName(name);
        }
        return name;
    }

    public String backend() {
        return options.backend();
    }

    public ConvParams params() {
        return params;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int[] kernelSize() {
        return new int[] {kernelH, kernelW};
    }

    /** PyTorch's repr, e.g. {@code Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Conv2d(").append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(Shapes.tuple(kernelH, kernelW))
                .append(", stride=").append(Shapes.tuple(params.strideH(), params.strideW()));
        if (!params.padding().isDefault()) {
            s.append(", padding=").append(params.padding());
        }
        if (params.isDilated()) {
            s.append(", dilation=").append(Shapes.tuple(params.dilationH(), params.dilationW()));
        }
        if (params.groups() != 1) {
            s.append(", groups=").append(params.groups());
        }
        if (!hasBias) {
            s.append(", bias=False");
        }
        if (params.paddingMode() != PaddingMode.ZEROS) {
            s.append(", padding_mode=").append(params.paddingMode().pytorchName());
        }
        return s.append(')').toString();
    }

    private static Tensor uniform(SplittableRandom rng, float bound, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.inPlace(); // kept in this class's sight: the weight keeps its version (Tensor)
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return t;
    }

    /** Builds a {@link Conv2d} with PyTorch's argument names and defaults. */
    public static final class Builder {
        private final int inChannels;
        private final int outChannels;
        private final int kernelH;
        private final int kernelW;
        private ConvParams params = ConvParams.defaults();
        private boolean bias = true;
        private Long seed;
        private String backend;
        private Options options;

        private Builder(int inChannels, int outChannels, int kernelH, int kernelW) {
            this.inChannels = inChannels;
            this.outChannels = outChannels;
            this.kernelH = kernelH;
            this.kernelW = kernelW;
        }

        public Builder stride(int s) {
            params = params.withStride(s);
            return this;
        }

        public Builder stride(int h, int w) {
            params = params.withStride(h, w);
            return this;
        }

        public Builder padding(int p) {
            params = params.withPadding(Padding.of(p));
            return this;
        }

        public Builder padding(int h, int w) {
            params = params.withPadding(Padding.of(h, w));
            return this;
        }

        /** {@code "same"}, {@code "valid"}, or an explicit size as text. */
        public Builder padding(String p) {
            params = params.withPadding(Padding.parse(p));
            return this;
        }

        public Builder padding(Padding p) {
            params = params.withPadding(p);
            return this;
        }

        public Builder dilation(int d) {
            params = params.withDilation(d);
            return this;
        }

        public Builder dilation(int h, int w) {
            params = params.withDilation(h, w);
            return this;
        }

        public Builder groups(int g) {
            params = params.withGroups(g);
            return this;
        }

        public Builder bias(boolean b) {
            bias = b;
            return this;
        }

        /** {@code "zeros"}, {@code "reflect"}, {@code "replicate"} or {@code "circular"}. */
        public Builder paddingMode(String mode) {
            params = params.withPaddingMode(PaddingMode.parse(mode));
            return this;
        }

        public Builder paddingMode(PaddingMode mode) {
            params = params.withPaddingMode(mode);
            return this;
        }

        /** Every parameter at once, replacing what was set before. */
        public Builder params(ConvParams p) {
            params = p;
            return this;
        }

        /** Seeds the initial weights and bias; without a seed they differ per layer, as in PyTorch. */
        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /** The backend by name, over the {@link #options} (default: theirs, {@code auto} unless set otherwise). */
        public Builder backend(String name) {
            backend = name;
            return this;
        }

        /** Threads, device, cuDNN settings and backend in one value; default {@link Options#defaults()}. */
        public Builder options(Options o) {
            options = o;
            return this;
        }

        public Conv2d build() {
            return new Conv2d(this);
        }
    }
}
