package dev.jconv.spark;

import dev.jconv.Conv2d;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Shapes;
import dev.jconv.Tensor;
import java.io.Serializable;

/**
 * What executors need to run one convolution layer: the weight, the optional bias and every parameter, as a
 * plain serializable value. It is broadcast once per job, so each executor JVM receives the weights once,
 * however many tasks and pictures it runs.
 */
public final class ConvLayer implements Serializable {
    private static final long serialVersionUID = 1L;

    private final float[] weight;
    private final int[] weightShape;
    private final float[] bias;
    private final int strideH;
    private final int strideW;
    private final Padding.Kind paddingKind;
    private final int paddingH;
    private final int paddingW;
    private final int dilationH;
    private final int dilationW;
    private final int groups;
    private final PaddingMode paddingMode;

    private ConvLayer(Tensor weight, Tensor bias, ConvParams p) {
        if (weight.dim() != 4) {
            throw new IllegalArgumentException("expected a 4-D weight (out_channels, in_channels / groups, kH, kW), "
                    + "but got weight of size " + Shapes.format(weight.shape()));
        }
        int[] s = weight.shape();
        ConvValidator.checkLayer(s[1] * p.groups(), s[0], s[2], s[3], p);
        if (bias != null && (bias.dim() != 1 || bias.size(0) != s[0])) {
            throw new IllegalArgumentException("expected bias of size [" + s[0] + "], but got bias of size "
                    + Shapes.format(bias.shape()));
        }
        this.weight = weight.data().clone();
        this.weightShape = s;
        this.bias = bias == null ? null : bias.data().clone();
        this.strideH = p.strideH();
        this.strideW = p.strideW();
        this.paddingKind = p.padding().kind();
        this.paddingH = p.padding().height();
        this.paddingW = p.padding().width();
        this.dilationH = p.dilationH();
        this.dilationW = p.dilationW();
        this.groups = p.groups();
        this.paddingMode = p.paddingMode();
    }

    /** A layer from explicit tensors (copied): weight {@code (K, C / groups, kH, kW)}, bias {@code (K)} or null. */
    public static ConvLayer of(Tensor weight, Tensor bias, ConvParams params) {
        return new ConvLayer(weight, bias, params);
    }

    /** The current weights, bias and parameters of a {@link Conv2d} module (copied). */
    public static ConvLayer of(Conv2d conv) {
        return new ConvLayer(conv.weight(), conv.bias(), conv.params());
    }

    public Tensor weight() {
        return Tensor.of(weight, weightShape.clone());
    }

    /** The bias, or null when the layer has none. */
    public Tensor bias() {
        return bias == null ? null : Tensor.of(bias, weightShape[0]);
    }

    public ConvParams params() {
        return new ConvParams(strideH, strideW, new Padding(paddingKind, paddingH, paddingW), dilationH, dilationW,
                groups, paddingMode);
    }

    /** Input channels the layer expects, {@code C}. */
    public int inChannels() {
        return weightShape[1] * groups;
    }

    public int outChannels() {
        return weightShape[0];
    }
}
