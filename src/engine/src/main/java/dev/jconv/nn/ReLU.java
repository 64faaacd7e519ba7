package dev.jconv.nn;

import dev.jconv.Tensor;

/**
 * {@code nn.ReLU}: {@code max(x, 0)} element-wise, any shape; NaN stays NaN, as in {@code torch.relu}. With
 * {@code inplace} the input tensor itself is overwritten and returned. After a convolution in a
 * {@link Sequential} it is fused into the convolution's output pass ({@link dev.jconv.PostOp#RELU}).
 */
public final class ReLU implements Module {
    private final boolean inplace;

    public ReLU() {
        this(false);
    }

    public ReLU(boolean inplace) {
        this.inplace = inplace;
    }

    @Override
    public Tensor forward(Tensor input) {
        Tensor out = inplace ? input : input.copy();
        float[] d = out.data();
        dev.jconv.PostOp.RELU.applyInPlace(d, 0, d.length);
        return out;
    }

    @Override
    public int[] outputShape(int... inputShape) {
        return inputShape.clone();
    }

    @Override
    public String toString() {
        return inplace ? "ReLU(inplace=True)" : "ReLU()";
    }
}
