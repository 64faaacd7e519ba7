package dev.jconv.nn;

import dev.jconv.Functional;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code nn.Linear(in_features, out_features, bias=True)}: {@code y = x W^T + b} on input {@code (*, in_features)},
 * output {@code (*, out_features)}; weight {@code (out_features, in_features)}, bias {@code (out_features)}, both
 * initialised as PyTorch does ({@code U(-1/sqrt(in), 1/sqrt(in))}). Computed as a 1x1 convolution through the
 * conv backends ({@link Functional#linear}), so it runs wherever the convolutions of the network run.
 */
public final class Linear implements Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Tensor weight;
    private final Tensor bias;
    private volatile String backend = Backends.AUTO;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        NnValidator.nonNegativeShape(outFeatures, inFeatures);
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        SplittableRandom rng = new SplittableRandom();
        float bound = inFeatures == 0 ? 0f : (float) (1.0 / Math.sqrt(inFeatures));
        this.weight = Tensor.uniform(rng.nextLong(), -bound, bound, outFeatures, inFeatures);
        this.bias = bias ? Tensor.uniform(rng.nextLong(), -bound, bound, outFeatures) : null;
    }

    @Override
    public Tensor forward(Tensor input) {
        NnValidator.checkLinear(input.shape(), inFeatures, outFeatures);
        return Functional.linear(input, weight, bias, backend);
    }

    @Override
    public int[] outputShape(int... inputShape) {
        NnValidator.checkLinear(inputShape, inFeatures, outFeatures);
        int[] out = inputShape.clone();
        out[out.length - 1] = outFeatures;
        return out;
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

    @Override
    public void setBackend(String name) {
        if (!Backends.AUTO.equals(name)) {
            Backends.byName(name);
        }
        this.backend = name;
    }

    /** The backend its forward runs on ({@code auto} unless {@link #setBackend} chose one). */
    public String backend() {
        return backend;
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null without one. */
    public Tensor bias() {
        return bias;
    }

    @Override
    public String toString() {
        return "Linear(in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias="
                + (bias != null ? "True" : "False") + ")";
    }
}
