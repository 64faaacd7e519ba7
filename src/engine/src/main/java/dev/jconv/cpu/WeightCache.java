package dev.jconv.cpu;

import java.util.Arrays;
import java.util.function.Function;

/**
 * A plan's weights in the form its kernels read (packed or transformed), made once per weight version instead of
 * once per call. A version is the exact contents: a call whose weight array equals the last one transformed,
 * element for element ({@link Arrays#equals}, a vectorized compare at memory speed), reuses the result, so a
 * caller that changes its weights in place between calls still gets them used. The snapshot costs one copy of
 * the weights per plan.
 *
 * <p>Thread-safe: the pair (snapshot, result) is published as one immutable value; calls racing with different
 * weights may each transform theirs, and the last one written is kept.
 */
final class WeightCache {
    private record Entry(float[] weights, float[] transformed) {}

    private final Function<float[], float[]> transform;
    private volatile Entry last;

    WeightCache(Function<float[], float[]> transform) {
        this.transform = transform;
    }

    /** The transformed weights for {@code weights}, from the cache when they equal the last ones transformed. */
    float[] get(float[] weights) {
        Entry e = last;
        if (e != null && Arrays.equals(e.weights, weights)) {
            return e.transformed;
        }
        float[] transformed = transform.apply(weights);
        last = new Entry(weights.clone(), transformed);
        return transformed;
    }

    /** Bytes held: the snapshot and the transformed weights. */
    long bytes() {
        Entry e = last;
        return e == null ? 0 : (long) Float.BYTES * (e.weights.length + e.transformed.length);
    }

    void clear() {
        last = null;
    }
}
