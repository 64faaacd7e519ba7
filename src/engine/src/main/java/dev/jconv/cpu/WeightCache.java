package dev.jconv.cpu;

import dev.jconv.backend.ConvPlan;
import dev.jconv.backend.PlanCache;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * A plan's weights in the form its kernels read (packed or transformed), made once per weight version instead of
 * once per call. A version is the exact contents: a call whose weight array equals one transformed before,
 * element for element ({@link Arrays#equals}, a vectorized compare at memory speed), reuses the result, so a
 * caller that changes its weights in place between calls still gets them used. The snapshot costs one copy of
 * the weights per version. The compare reads the weights and the snapshot, twice the weights' bytes per call: on a
 * weight-heavy layer (512x512x3x3, 9.4 MB, on 7x7) it took half the call on one thread (measured 2-core AMD EPYC,
 * 2 threads: 3.2 ms with the compare against 1.7 ms with an identity check), so it runs spread over the plan's
 * worker pool, in pieces of {@value #PIECE} floats; the GEMM plans run it inside their GEMM tasks on the version
 * the sampled elements point to ({@link #candidate}) and compute again in the rare case that a piece differs.
 *
 * <p>Several versions: plans are shared by every caller of a shape, and a network repeats shapes with different
 * weights (ResNet-50's six 256-channel 3x3 layers on 14x14 share one plan), so a cache of one version transformed
 * again on every call of such a network: two weight arrays alternating on one plan measured 4.3x slower per call on
 * Winograd's 256x256 on 14x14 (5.26 against 1.23 ms) and 2x on the channel GEMM's 512x512 on 7x7. It keeps the
 * most recently used versions while together they hold at most a quarter of the plan cache's budget
 * ({@link PlanCache#budgetBytes()}; the plan reports them in its retained bytes), and always the newest. A lookup
 * tries them newest first and compares a few sampled elements before the whole array, so a miss costs next to
 * nothing. An array changed in place replaces the version last made from it instead of adding one.
 *
 * <p>The snapshot is kept in those pieces, each copied by the pool thread that will compare it, and plans keep
 * their transformed weights in arrays of similar size where they can ({@link ChannelGemmPlan}'s blocks): the JVM
 * puts an array of more than half a heap region (G1's regions: 1-32 MB) in regions of its own that a warm process
 * has usually never touched, and faulting in that fresh memory dominated a new weight version's first call
 * (measured, Java 17, 2-core AMD EPYC VM, warm process: {@code new float[]} of 9.4 MB 6.0-6.4 ms every time, the
 * same bytes as ten arrays 0.5-0.9 ms).
 *
 * <p>Weight versions: a caller that tracks its weight's contents passes a version with the array
 * ({@link ConvPlan#forward(float[], float[], long, float[], float[])}: a {@link dev.jconv.Tensor}'s write count, e.g.
 * a {@code Conv2d}'s own weight). A version made from the same array at the same version is used without the
 * compare, which costs weight-heavy layers even beside the GEMM ({@code perf}: {@code Arrays.equals}' stub 10.7% of
 * 2048->512 1x1 on 7x7 at one thread; time with a version over time with the compare, one JVM, alternating,
 * {@code benchmarks/ab/VersionedWeightsAB.java}, 2-core AMD EPYC with AVX-512: 0.68-0.97 on ResNet-50's layers
 * on 14x14 and 7x7 at one and two threads). A compare that finds the array equal to a version records the array
 * and its version there, so the calls after it skip the compare.
 *
 * <p>Thread-safe: the list of versions is an immutable value, replaced under the cache's lock; calls racing with a
 * new version may each transform it, and the last one added is kept.
 *
 * @param <T> the transformed weights
 */
final class WeightCache<T> {
    /**
     * A version: the snapshot of the weights, what they were transformed into, and the array they were last seen in
     * with the caller's version of it ({@link ConvPlan#UNVERSIONED} when not given).
     */
    private record Entry<T>(float[][] snapshot, int length, T transformed, long bytes,
                            WeakReference<float[]> source, long version) {
        /** Whether {@code weights} at {@code version} is this entry's array at the version it was seen with. */
        boolean seenAs(float[] weights, long version) {
            return version != ConvPlan.UNVERSIONED && this.version == version && source.get() == weights;
        }

        /** This entry, last seen as {@code weights} at {@code version}. */
        Entry<T> seen(float[] weights, long version) {
            return seenAs(weights, version) || version == ConvPlan.UNVERSIONED ? this
                    : new Entry<>(snapshot, length, transformed, bytes, new WeakReference<>(weights), version);
        }
    }

    /** Floats per snapshot piece and compare task (256 KB). */
    static final int PIECE = 1 << 16;
    /** Elements compared before a whole-array compare. */
    private static final int SAMPLES = 16;

    private final Function<float[], T> transform;
    private final ToLongFunction<T> bytes;
    private final LongSupplier budget;
    /** Newest or most recently used first. */
    private volatile List<Entry<T>> entries = List.of();

    /**
     * {@code bytes} says how many bytes a transformed result holds ({@link #bytes()}); the versions kept hold at most
     * a quarter of the plan cache's budget.
     */
    WeightCache(Function<float[], T> transform, ToLongFunction<T> bytes) {
        this(transform, bytes, () -> PlanCache.budgetBytes() / 4);
    }

    /** As above, keeping versions while they hold at most {@code budget} bytes (tests). */
    WeightCache(Function<float[], T> transform, ToLongFunction<T> bytes, LongSupplier budget) {
        this.transform = transform;
        this.bytes = bytes;
        this.budget = budget;
    }

    /** A cache of transforms to one array. */
    static WeightCache<float[]> ofArrays(Function<float[], float[]> transform) {
        return new WeightCache<>(transform, t -> (long) Float.BYTES * t.length);
    }

    /** A cache of transforms to arrays of blocks (packed or transformed weights kept in arrays of bounded size). */
    static WeightCache<float[][]> ofBlocks(Function<float[], float[][]> transform) {
        return new WeightCache<>(transform, WeightCache::floatBytes);
    }

    /** The bytes of the floats in {@code blocks}. */
    static long floatBytes(float[][] blocks) {
        long bytes = 0;
        for (float[] block : blocks) {
            bytes += (long) Float.BYTES * block.length;
        }
        return bytes;
    }

    /**
     * The transformed weights for {@code weights}, from the cache when the array was seen at this {@code version}
     * (not {@link ConvPlan#UNVERSIONED}) or when its values equal a version transformed before (compared on
     * {@code pool}).
     */
    T get(float[] weights, long version, WorkerPool pool) {
        List<Entry<T>> list = entries;
        for (Entry<T> e : list) {
            if (e.seenAs(weights, version)) {
                use(e, e, list);
                return e.transformed;
            }
        }
        for (Entry<T> e : list) {
            if (e.length == weights.length && samplesEqual(e.snapshot, weights) && equal(e.snapshot, weights, pool)) {
                use(e, e.seen(weights, version), list);
                return e.transformed;
            }
        }
        T transformed = transform.apply(weights);
        update(new Entry<>(snapshot(weights, pool), weights.length, transformed,
                (long) Float.BYTES * weights.length + bytes.applyAsLong(transformed), new WeakReference<>(weights),
                version), weights);
        return transformed;
    }

    /** Puts {@code now} (entry {@code e}, perhaps seen anew) first, unless that is {@code e}, first of {@code list}. */
    private void use(Entry<T> e, Entry<T> now, List<Entry<T>> list) {
        if (now != e || e != list.get(0)) {
            update(now, null);
        }
    }

    /**
     * The version this array was seen as at {@code version} (nothing to compare), else the version {@code weights}
     * looks like (the newest one of equal length whose sampled elements are equal), else null: its transformed
     * weights may be used before the whole compare, which the caller spreads over its own
     * parallel tasks ({@link Candidate#check}) and then settles with {@link #confirmed}. Why: the compare reads the
     * weights and the snapshot from memory, a fifth to a third of a weight-heavy layer's call when it runs as a step
     * of its own, while the GEMM tasks beside it leave memory bandwidth unused. Measured on a 2-core AMD EPYC with
     * AVX-512, both builds in one JVM, 2 threads, time with the compare inside the GEMM tasks over a step of its
     * own: 512x512 3x3 on 7x7 0.92-0.96, 3x3 stride 2 on 14x14 0.95-0.99, 2048->512 1x1 on 7x7 0.94-0.98,
     * 1024->2048 1x1 stride 2 0.96-0.99 (less than the compare's whole cost: the threads' compares still meet).
     */
    Candidate<T> candidate(float[] weights, long version) {
        List<Entry<T>> list = entries;
        for (Entry<T> e : list) {
            if (e.seenAs(weights, version)) {
                return new Candidate<>(e, weights, version, true);
            }
        }
        for (Entry<T> e : list) {
            if (e.length == weights.length && samplesEqual(e.snapshot, weights)) {
                return new Candidate<>(e, weights, version, false);
            }
        }
        return null;
    }

    /**
     * Whether every piece of {@code c} compared equal (each part must have been checked); if so its version becomes
     * the most recently used. If not, the caller computes again with {@link #get}'s weights.
     */
    boolean confirmed(Candidate<T> c) {
        if (c.differs.get()) {
            return false;
        }
        List<Entry<T>> list = entries;
        if (!list.isEmpty()) { // empty: cleared by a close racing with this call
            use(c.entry, c.entry.seen(c.weights, c.version), list);
        }
        return true;
    }

    /** A plan's parallel task on transformed weights. */
    @FunctionalInterface
    interface Task<T> {
        void run(int task, T transformed);
    }

    /**
     * Runs {@code tasks} tasks of {@code work} on {@code pool} with the transformed {@code weights} at {@code version}:
     * on a {@link #candidate} with its compare spread over the tasks (half before their work, half after), and
     * again on {@link #get}'s weights where the compare finds them changed; else on {@link #get}'s weights.
     */
    void forEachTask(float[] weights, long version, WorkerPool pool, int tasks, Task<T> work) {
        Candidate<T> candidate = candidate(weights, version);
        if (candidate == null) {
            T transformed = get(weights, version, pool);
            pool.forEach(tasks, task -> work.run(task, transformed));
            return;
        }
        T transformed = candidate.transformed();
        pool.forEach(tasks, task -> {
            candidate.checkBefore(task, tasks);
            work.run(task, transformed);
            candidate.checkAfter(task, tasks);
        });
        if (!confirmed(candidate)) { // changed in place where the samples did not look
            T changed = get(weights, version, pool);
            pool.forEach(tasks, task -> work.run(task, changed));
        }
    }

    /**
     * A version used before its compare has finished ({@link #candidate}), or with none to do (the array seen at
     * this version before). Thread-safe.
     */
    static final class Candidate<T> {
        private final Entry<T> entry;
        private final float[] weights;
        private final long version;
        /** The array was seen at this version: nothing to compare. */
        private final boolean seen;
        private final AtomicBoolean differs = new AtomicBoolean();

        private Candidate(Entry<T> entry, float[] weights, long version, boolean seen) {
            this.entry = entry;
            this.weights = weights;
            this.version = version;
            this.seen = seen;
        }

        /** The version's transformed weights. */
        T transformed() {
            return entry.transformed;
        }

        /** The caller's version of the weights ({@link ConvPlan#UNVERSIONED} when not given). */
        long weightVersion() {
            return version;
        }

        /**
         * For task {@code part} of {@code parts}, before its share of the GEMM: {@link #check} on odd tasks. Half the
         * tasks compare first and half after their GEMM, so that one thread's compare (memory-bound) tends to run
         * beside another's GEMM (compute-bound) instead of every thread comparing at once.
         */
        void checkBefore(int part, int parts) {
            if (part % 2 == 1) {
                check(part, parts);
            }
        }

        /** For task {@code part} of {@code parts}, after its share of the GEMM: {@link #check} on even tasks. */
        void checkAfter(int part, int parts) {
            if (part % 2 == 0) {
                check(part, parts);
            }
        }

        /** Compares part {@code part} of {@code parts} of the snapshot's pieces with the weights. */
        void check(int part, int parts) {
            if (seen) {
                return;
            }
            float[][] snapshot = entry.snapshot;
            for (int i = part * snapshot.length / parts, end = (part + 1) * snapshot.length / parts; i < end; i++) {
                float[] piece = snapshot[i];
                int from = i * PIECE;
                if (differs.get()) {
                    return;
                }
                if (!Arrays.equals(piece, 0, piece.length, weights, from, from + piece.length)) {
                    differs.set(true);
                }
            }
        }
    }

    /**
     * Puts {@code e} first in place of every entry of the same version (the same transformed weights, perhaps seen
     * as another array); with {@code source}, drops the versions made from that array before (it changed in place),
     * then the least recently used while over budget.
     */
    private synchronized void update(Entry<T> e, float[] source) {
        List<Entry<T>> next = new ArrayList<>(entries.size() + 1);
        next.add(e);
        long held = e.bytes;
        long cap = budget.getAsLong();
        for (Entry<T> old : entries) {
            if (old.transformed != e.transformed && (source == null || old.source.get() != source)
                    && held + old.bytes <= cap) {
                next.add(old);
                held += old.bytes;
            }
        }
        entries = List.copyOf(next);
    }

    /** Whether {@code weights} equals the snapshot at {@value #SAMPLES} spread positions (bits, as Arrays.equals). */
    private static boolean samplesEqual(float[][] snapshot, float[] weights) {
        for (int k = 0; k < SAMPLES && weights.length > 0; k++) {
            int i = (int) ((long) weights.length * k / SAMPLES);
            if (Float.floatToIntBits(snapshot[i / PIECE][i % PIECE]) != Float.floatToIntBits(weights[i])) {
                return false;
            }
        }
        return true;
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

    /** Bytes held: the snapshots and the transformed weights of every version kept. */
    long bytes() {
        long held = 0;
        for (Entry<T> e : entries) {
            held += e.bytes;
        }
        return held;
    }

    /** Versions kept. */
    int versions() {
        return entries.size();
    }

    synchronized void clear() {
        entries = List.of();
    }
}
