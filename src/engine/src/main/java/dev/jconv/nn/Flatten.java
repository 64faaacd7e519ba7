package dev.jconv.nn;

import dev.jconv.Tensor;

/**
 * {@code nn.Flatten(start_dim=1, end_dim=-1)}: dimensions {@code start_dim..end_dim} merged into one, sharing
 * the input's data (what {@code x.view(-1, 64 * 7 * 7)} does in a forward method, for a batched input).
 */
public final class Flatten implements Module {
    private final int startDim;
    private final int endDim;

    public Flatten() {
        this(1, -1);
    }

    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.reshape(outputShape(input.shape()));
    }

    @Override
    public int[] outputShape(int... inputShape) {
        int[] se = NnValidator.checkFlatten(inputShape.length, startDim, endDim);
        if (inputShape.length == 0) {
            return new int[] {1};
        }
        int[] out = new int[inputShape.length - (se[1] - se[0])];
        System.arraycopy(inputShape, 0, out, 0, se[0]);
        long merged = 1;
        for (int d = se[0]; d <= se[1]; d++) {
            merged *= inputShape[d];
        }
        out[se[0]] = Math.toIntExact(merged);
        System.arraycopy(inputShape, se[1] + 1, out, se[0] + 1, inputShape.length - se[1] - 1);
        return out;
    }

    @Override
    public String toString() {
        return "Flatten(start_dim=" + startDim + ", end_dim=" + endDim + ")";
    }
}
