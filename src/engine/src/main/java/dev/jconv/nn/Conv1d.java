package dev.jconv.nn;

import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Functional;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.PostOp;
import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
 * padding_mode='zeros')} on {@code (N, C, L)} or unbatched {@code (C, L)}; weight {@code (out, in / groups, k)},
 * bias {@code (out)}, initialised as PyTorch does ({@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))}, fan_in =
 * {@code in / groups * k}). Padding is an int, {@code "same"} or {@code "valid"}; every padding mode works.
 *
 * <p>Computed as PyTorch computes it, as a 2-D convolution of height 1 ({@link ConvParams#conv1d}), so it runs on
 * every conv2d backend; checks and messages are {@code conv1d}'s ({@link ConvValidator#checkForward1d}).
 * Output length: {@code floor((L + 2 * padding - dilation * (k - 1) - 1) / stride) + 1}.
 */
public final class Conv1d implements Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernelSize;
    private final ConvParams params;
    private final Tensor weight;
    private final Tensor bias;
    private volatile String backend;

    private Conv1d(Builder b) {
        ConvValidator.checkLayer(b.inChannels, b.outChannels, 1, b.kernelSize, b.params);
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.kernelSize = b.kernelSize;
        this.params = b.params;
        this.backend = checkedBackend(b.backend);
        SplittableRandom rng = b.seed == null ? new SplittableRandom() : new SplittableRandom(b.seed);
        float bound = (float) (1.0 / Math.sqrt((double) inChannels / params.groups() * kernelSize));
        this.weight = Tensor.uniform(rng.nextLong(), -bound, bound, outChannels, inChannels / params.groups(),
                kernelSize);
        this.bias = b.bias ? Tensor.uniform(rng.nextLong(), -bound, bound, outChannels) : null;
    }

    public Conv1d(int inChannels, int outChannels, int kernelSize) {
        this(builder(inChannels, outChannels, kernelSize));
    }

    public static Builder builder(int inChannels, int outChannels, int kernelSize) {
        return new Builder(inChannels, outChannels, kernelSize);
    }

    @Override
    public Tensor forward(Tensor input) {
        return forward(input, weight, bias, PostOp.NONE);
    }

    /** This layer's convolution with another weight and bias and a post-op: what {@link Sequential} fuses into. */
    Tensor forward(Tensor input, Tensor w, Tensor b, PostOp postOp) {
        return Functional.conv1d(input, w, b, params, backend, postOp);
    }

    @Override
    public int[] outputShape(int... inputShape) {
        var g = ConvValidator.checkForward1d(inputShape, weight.shape(), bias == null ? null : bias.shape(), params);
        return inputShape.length == 2 ? new int[] {g.outChannels(), g.outWidth()}
                : new int[] {g.batch(), g.outChannels(), g.outWidth()};
    }

    /** The height-1 2-D convolution parameters this layer runs as. */
    public ConvParams params() {
        return params;
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null without one. */
    public Tensor bias() {
        return bias;
    }

    public String backend() {
        return backend;
    }

    @Override
    public void setBackend(String name) {
        this.backend = checkedBackend(name);
    }

    private static String checkedBackend(String name) {
        if (!Backends.AUTO.equals(name)) {
            Backends.byName(name);
        }
        return name;
    }

    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("weight", weight);
        if (bias != null) {
            p.put("bias", bias);
        }
        return p;
    }

    /** PyTorch's repr, e.g. {@code Conv1d(3, 16, kernel_size=(3,), stride=(1,), padding=(1,))}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Conv1d(").append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(Shapes.tuple(kernelSize))
                .append(", stride=").append(Shapes.tuple(params.strideW()));
        Padding p = params.padding();
        if (p.kind() != Padding.Kind.EXPLICIT) {
            s.append(", padding=").append(p);
        } else if (p.width() != 0) {
            s.append(", padding=").append(Shapes.tuple(p.width()));
        }
        if (params.dilationW() != 1) {
            s.append(", dilation=").append(Shapes.tuple(params.dilationW()));
        }
        if (params.groups() != 1) {
            s.append(", groups=").append(params.groups());
        }
        if (bias == null) {
            s.append(", bias=False");
        }
        if (params.paddingMode() != PaddingMode.ZEROS) {
            s.append(", padding_mode=").append(params.paddingMode().pytorchName());
        }
        return s.append(')').toString();
    }

    /** Builds a {@link Conv1d} with PyTorch's argument names and defaults. */
    public static final class Builder {
        private final int inChannels;
        private final int outChannels;
        private final int kernelSize;
        private int stride = 1;
        private Padding padding = Padding.of(0);
        private int dilation = 1;
        private int groups = 1;
        private PaddingMode paddingMode = PaddingMode.ZEROS;
        private ConvParams params = ConvParams.conv1d(1, Padding.of(0), 1, 1, PaddingMode.ZEROS);
        private boolean bias = true;
        private Long seed;
        private String backend = Backends.AUTO;

        private Builder(int inChannels, int outChannels, int kernelSize) {
            this.inChannels = inChannels;
            this.outChannels = outChannels;
            this.kernelSize = kernelSize;
        }

        private Builder update() {
            params = ConvParams.conv1d(stride, padding, dilation, groups, paddingMode);
            return this;
        }

        public Builder stride(int s) {
            stride = s;
            return update();
        }

        public Builder padding(int p) {
            padding = Padding.of(p);
            return update();
        }

        /** {@code "same"}, {@code "valid"} or a size as text. */
        public Builder padding(String p) {
            padding = Padding.parse(p);
            return update();
        }

        public Builder dilation(int d) {
            dilation = d;
            return update();
        }

        public Builder groups(int g) {
            groups = g;
            return update();
        }

        public Builder bias(boolean b) {
            bias = b;
            return this;
        }

        /** {@code "zeros"}, {@code "reflect"}, {@code "replicate"} or {@code "circular"}. */
        public Builder paddingMode(String mode) {
            paddingMode = PaddingMode.parse(mode);
            return update();
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        public Builder backend(String name) {
            backend = name;
            return this;
        }

        public Conv1d build() {
            return new Conv1d(this);
        }
    }
}
