package dev.jconv.nn;

import dev.jconv.Tensor;
import java.util.Map;
import java.util.Set;

/**
 * A layer, as {@code torch.nn.Module}: {@link #forward} on host tensors, the output shape it would give
 * (checked exactly as forward checks), and its {@code state_dict} entries by PyTorch's names. {@link #toString()}
 * is PyTorch's repr of the same module.
 */
public interface Module {

    Tensor forward(Tensor input);

    /** The output shape for {@code inputShape}, with the error {@link #forward} would raise for a bad one. */
    int[] outputShape(int... inputShape);

    /** Learnable parameters by their {@code state_dict} names ({@code weight}, {@code bias}), live tensors. */
    default Map<String, Tensor> parameters() {
        return Map.of();
    }

    /** Buffers that are part of the {@code state_dict} but not learnable ({@code running_mean}), live tensors. */
    default Map<String, Tensor> buffers() {
        return Map.of();
    }

    /**
     * {@code state_dict} names this module accepts but does not need: BatchNorm's integer
     * {@code num_batches_tracked}, which PyTorch itself fills in when a state_dict without version metadata (what
     * safetensors and npz files hold) lacks it.
     */
    default Set<String> optionalKeys() {
        return Set.of();
    }

    /** Number of learnable values, as {@code sum(p.numel() for p in module.parameters())}. */
    default long parameterCount() {
        return parameters().values().stream().mapToLong(Tensor::numel).sum();
    }

    /** Runs later forward passes on the named backend, for modules that compute through the conv backends. */
    default void setBackend(String name) {
        // modules computed in plain Java have no backend
    }
}
