package dev.jconv.backend;

import dev.jconv.ConvGeometry;

/**
 * A convolution prepared for one {@link ConvGeometry}. Executing it makes no decisions; it may be
 * called from many threads at once. Closing it releases what it holds (native memory for the GPU
 * backends); closing twice is harmless, and using it after close throws.
 */
public interface ConvPlan extends AutoCloseable {

    ConvGeometry geometry();

    /**
     * {@code output = conv(input, weight) + bias}, all row-major float32 host arrays of the geometry's
     * sizes (input NCHW, weight KCRS, output NKPQ); {@code bias} is null for none. Writes every output element.
     * Allocates nothing once warm. An interrupted thread makes it stop at its next task boundary and throw
     * {@link dev.jconv.ConvolutionInterruptedException} with the interrupt flag still set.
     */
    void forward(float[] input, float[] weight, float[] bias, float[] output);

    /** The weight version of a caller that does not track its weight's contents (see {@link #forward}). */
    long UNVERSIONED = -1;

    /**
     * {@link #forward(float[], float[], float[], float[])} from a caller that tracks its weight's contents:
     * {@code weightVersion} is the same number on every call that passes this {@code weight} array with the same
     * values, and another once the array's values change (a {@link dev.jconv.Tensor}'s write count), or
     * {@link #UNVERSIONED} when the caller cannot say. Plans that prepare weights once per weight version (the
     * {@code cpu} backend's) then reuse them for the same array and version without comparing its values with the
     * ones they prepared; other plans ignore the version.
     */
    default void forward(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        forward(input, weight, bias, output);
    }

    /**
     * Bytes this plan keeps between calls (scratch buffers, packed weights, descriptors' and GPU workspace), as
     * held now; what {@link PlanCache} budgets. Cheap and non-blocking: the cache asks after every call.
     */
    long retainedBytes();

    /** One line saying how it computes, e.g. the algorithm chosen, for {@code --explain}. */
    String describe();

    @Override
    void close();
}
