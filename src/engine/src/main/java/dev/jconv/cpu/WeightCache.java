package dev.jconv.cpu;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * A plan's weights in the form its kernels read (packed or transformed), made once per weight version instead of
 * once per call. A version is the exact contents: a call whose weight array equals the last one transformed,
 * element for element ({@link Arrays#equals}, a vectorized compare at memory speed), reuses the result, so a
 * caller that changes its weights in place between calls still gets them used. The snapshot costs one copy of
 * the weights per plan. The compare reads the weights and the snapshot, twice the weights' bytes per call: on a
 * weight-heavy layer (512x512x3x3, 9.4 MB, on 7x7) it took half the call on one thread (measured 2-core AMD EPYC,
 * 2 threads: 3.2 ms with the compare against 1.7 ms with an identity check), so it runs spread over the plan's
 * worker pool, in pieces of {@value #PIECE} floats.
 *
 * <p>The snapshot is kept in those pieces, each copied by the pool thread that will compare it, and plans keep
 * their transformed weights in arrays of similar size where they can ({@link ChannelGemmPlan}'s blocks): the JVM
 * puts an array of more than half a heap region (G1's regions: 1-32 MB) in regions of its own that a warm process
 * has usually never touched, and faulting in that fresh memory dominated a new weight version's first call
 * (measured, Java 17, 2-core AMD EPYC VM, warm process: {@code new float[]} of 9.4 MB 6.0-6.4 ms every time, the
 * same bytes as ten arrays 0.5-0.9 ms).
 *
 * <p>Thread-safe: the pair (snapshot, result) is published as one immutable value; calls racing with different
 * weights may each transform theirs, and the last one written is kept.
 *
 * @param <T> the transformed weights
 */
final class WeightCache<T> {
    private record Entry<T>(float[][] snapshot, int length, T transformed) {}

    /** Floats per snapshot piece and compare task (256 KB). */
    static final int PIECE = 1 << 16;

    private final Function<float[], T> transform;
    private final ToLongFunction<T> bytes;
    private volatile Entry<T> last;

    /** {@code bytes} says how many bytes a transformed result holds ({@link #bytes()}). */
    WeightCache(Function<float[], T> transform, ToLongFunction<T> bytes) {
        this.transform = transform;
        this.bytes = bytes;
    }

    /** A cache of transforms to one array. */
    static WeightCache<float[]> ofArrays(Function<float[], float[]> transform) {
        return new WeightCache<>(transform, t -> (long) Float.BYTES * t.length);
    }

    /**
     * The transformed weights for {@code weights}, from the cache when they equal the last ones transformed
     * (compared on {@code pool}).
     */
    T get(float[] weights, WorkerPool pool) {
        Entry<T> e = last;
        if (e != null && e.length == weights.length && equal(e.snapshot, weights, pool)) {
            return e.transformed;
        }
        T transformed = transform.apply(weights);
        last = new Entry<>(snapshot(weights, pool), weights.length, transformed);
        return transformed;
    }

    /** {@code weights} in pieces of {@link #PIECE} floats, copied on the pool. */
    static float[][] snapshot(float[] weights, WorkerPool pool) {
        int pieces = Math.max(1, FlatLayout.ceilDiv(weights.length, PIECE));
        float[][] snapshot = new float[pieces][];
        if (pieces == 1) {
            snapshot[0] = weights.clone();
            return snapshot;
        }
        pool.forEach(pieces, i -> snapshot[i] = Arrays.copyOfRange(weights, i * PIECE,
                Math.min(weights.length, (i + 1) * PIECE)));
        return snapshot;
    }

    /**
     * Whether {@code weights} equals the pieces of {@code snapshot} put end to end, as
     * {@link Arrays#equals(float[], float[])} would say; the pieces compared on the pool.
     */
    static boolean equal(float[][] snapshot, float[] weights, WorkerPool pool) {
        long length = 0;
        for (float[] piece : snapshot) {
            length += piece.length;
        }
        if (length != weights.length) {
            return false;
        }
        if (snapshot.length == 1) {
            return Arrays.equals(snapshot[0], weights);
        }
        AtomicBoolean differ = new AtomicBoolean();
        pool.forEach(snapshot.length, i -> {
            float[] piece = snapshot[i];
            int from = i * PIECE;
            if (!differ.get() && !Arrays.equals(piece, 0, piece.length, weights, from, from + piece.length)) {
                differ.set(true);
            }
        });
        return !differ.get();
    }

    /** Bytes held: the snapshot and the transformed weights. */
    long bytes() {
        Entry<T> e = last;
        return e == null ? 0 : (long) Float.BYTES * e.length + bytes.applyAsLong(e.transformed);
    }

    void clear() {
        last = null;
    }
}
