package dev.jconv.cpu;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A plan's weights in the form its kernels read (packed or transformed), made once per weight version instead of
 * once per call. A version is the exact contents: a call whose weight array equals the last one transformed,
 * element for element ({@link Arrays#equals}, a vectorized compare at memory speed), reuses the result, so a
 * caller that changes its weights in place between calls still gets them used. The snapshot costs one copy of
 * the weights per plan. The compare reads the weights and the snapshot, twice the weights' bytes per call: on a
 * weight-heavy layer (512x512x3x3, 9.4 MB, on 7x7) it took half the call on one thread (measured 2-core AMD EPYC,
 * 2 threads: 3.2 ms with the compare against 1.7 ms with an identity check), so it runs spread over the plan's
 * worker pool, in pieces of at least {@value #PIECE} floats.
 *
 * <p>Thread-safe: the pair (snapshot, result) is published as one immutable value; calls racing with different
 * weights may each transform theirs, and the last one written is kept.
 */
final class WeightCache {
    private record Entry(float[] weights, float[] transformed) {}

    /** Floats one compare task takes at least (256 KB). */
    static final int PIECE = 1 << 16;

    private final Function<float[], float[]> transform;
    private volatile Entry last;

    WeightCache(Function<float[], float[]> transform) {
        this.transform = transform;
    }

    /**
     * The transformed weights for {@code weights}, from the cache when they equal the last ones transformed
     * (compared on {@code pool}).
     */
    float[] get(float[] weights, WorkerPool pool) {
        Entry e = last;
        if (e != null && equal(e.weights, weights, pool)) {
            return e.transformed;
        }
        float[] transformed = transform.apply(weights);
        last = new Entry(weights.clone(), transformed);
        return transformed;
    }

    /** {@link Arrays#equals(float[], float[])}, in pieces on the pool. */
    static boolean equal(float[] a, float[] b, WorkerPool pool) {
        if (a.length != b.length) {
            return false;
        }
        int pieces = Math.min(pool.threads() * 2, Math.max(1, a.length / PIECE));
        if (pieces == 1) {
            return Arrays.equals(a, b);
        }
        int piece = (a.length + pieces - 1) / pieces;
        AtomicBoolean differ = new AtomicBoolean();
        pool.forEach(pieces, i -> {
            int from = i * piece;
            int to = Math.min(a.length, from + piece);
            if (!differ.get() && !Arrays.equals(a, from, to, b, from, to)) {
                differ.set(true);
            }
        });
        return !differ.get();
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
