package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs every vector-kernel path of the {@code cpu} plans ({@link KernelPath}) on a few tiny convolutions, once per
 * JVM and thread count, in a background daemon thread started with the backend's first plan.
 *
 * <p>Why: HotSpot compiles a method with C2 from the profile it has gathered so far. A process that first runs,
 * say, 56x56 layers (weights packed) never calls the in-place-weight kernels and never takes some branches of
 * the others; C2 compiles what it saw and leaves uncommon traps for the rest. When a later shape needs those
 * paths (a 14x14 layer, weights read in place; a channel count that leaves a partial block; a bias) the
 * compiled code deoptimizes and the kernels run interpreted or in C1, where every Vector API operation is an
 * allocation and a call: measured 100 to 250 times slower (a 3.6 MFLOP layer took 4.5 to 8 ms instead of
 * 0.09), for the seconds C2 takes to compile them again behind other work, and again for the next new path.
 * Taking every path here first means C2 compiles each kernel once, with all its branches, before real
 * shapes depend on it.
 *
 * <p>The shapes are small (about 2 MFLOP per round in all) and run both on the backend's pool and on one
 * thread, because small convolutions run on one thread and split their work differently. The warm-up stops
 * once a round no longer gets faster (C2 has compiled what it ran), after at least {@value #MIN_ROUNDS} rounds
 * (enough calls for C2's thresholds) and at most {@link #MAX_NANOS}. It runs beside the caller rather than
 * in front of it: a one-shot {@code jconv run} does not wait for it, and it is a daemon so the JVM can exit.
 *
 * <p>Off by default ({@value #PROPERTY}{@code =true} turns it on). Measured in one run on the same build: with the
 * warm-up on, GEMM layers C2 compiled after it ran about 2x slower in steady state, because store call sites the
 * warm-up's profile counted as cold were not inlined and boxed their vectors. The kernels now store to a scratch
 * tile ({@link GemmKernel}), which brought the packed layers back (256-to-64 1x1 on 56x56: 0.75-0.88 ms against
 * 0.64-0.66 off; 3x3 64 on 56x56: 1.37-1.42 against 1.16-1.19), but the in-place 512x3x3x512 on 7x7 still runs
 * 3.9 ms against 1.8 ms with it, for reasons not yet found, so it stays off.
 */
final class KernelWarmup {
    static final String PROPERTY = "jconv.cpu.warmup";
    /** Rounds before the warm-up may stop: each kernel is then past C2's invocation thresholds. */
    static final int MIN_ROUNDS = 400;
    static final long MAX_NANOS = 10_000_000_000L;
    private static final Set<Integer> STARTED = ConcurrentHashMap.newKeySet();

    private KernelWarmup() {}

    /**
     * The warm-up shapes, each chosen for the paths it takes on any vector width (16, 8 or 4 lanes): widths of
     * 23 leave a ragged vector and a ragged tile on every width, 9 and 17 output channels leave a one-row block.
     */
    static List<ConvGeometry> geometries() {
        return List.of(
                // 1x1 on the input as it is, packed weights (529 flat columns), full and one-row blocks
                geometry(new int[] {1, 8, 23, 23}, new int[] {9, 8, 1, 1}, ConvParams.defaults()),
                // padded 3x3, packed weights: copy made per task, stores crossing output rows
                geometry(new int[] {1, 4, 23, 23}, new int[] {9, 4, 3, 3}, ConvParams.defaults().withPadding(1)),
                // strided 3x3 on 14x14: short flat range, weights read in place, separate copy on a pool
                geometry(new int[] {1, 8, 14, 14}, new int[] {17, 8, 3, 3},
                        ConvParams.defaults().withStride(2).withPadding(1)),
                // 1x1 on 7x7: weights in place on the input as it is
                geometry(new int[] {1, 16, 7, 7}, new int[] {9, 16, 1, 1}, ConvParams.defaults()),
                // depthwise 3x3 stride 1: four rows at a time and the rows left over, full vectors, the last of a row overlapping
                geometry(new int[] {1, 4, 23, 23}, new int[] {4, 1, 3, 3},
                        ConvParams.defaults().withPadding(1).withGroups(4)),
                // depthwise 3x3 stride 2, channel multiplier 2: one row at a time
                geometry(new int[] {1, 4, 23, 23}, new int[] {8, 1, 3, 3},
                        ConvParams.defaults().withStride(2).withPadding(1).withGroups(4)),
                // depthwise 3x3 stride 2 on 48 columns, multiplier 2: phase rows of 24 copied with the vector
                // deinterleave
                geometry(new int[] {1, 2, 48, 48}, new int[] {4, 1, 3, 3},
                        ConvParams.defaults().withStride(2).withPadding(1).withGroups(2)),
                // depthwise 5x5: the general one-row loop over taps, rows of 3 (narrower than any vector)
                geometry(new int[] {1, 2, 20, 3}, new int[] {2, 1, 5, 5},
                        ConvParams.defaults().withPadding(2).withGroups(2)),
                // depthwise 3x3 on 9x9, 21 channels: channel blocks, full and partial on every vector width
                geometry(new int[] {1, 21, 9, 9}, new int[] {21, 1, 3, 3},
                        ConvParams.defaults().withPadding(1).withGroups(21)));
    }

    private static ConvGeometry geometry(int[] input, int[] weight, ConvParams params) {
        return ConvValidator.checkForward(input, weight, new int[] {weight[0]}, params);
    }

    /**
     * Plans for the warm-up shapes on one thread and on a pool of {@code threads}, at least two: a pool splits
     * the in-place-weight shape's channels, which makes its copy a separate step, as on one thread the weights
     * of big layers do (256x3x3x256 on 28x28/2), which would be too slow to warm up with.
     */
    static List<ConvPlan> plans(int threads) {
        List<ConvPlan> plans = new ArrayList<>();
        for (int t : new int[] {Math.max(2, threads), 1}) {
            WorkerPool pool = WorkerPool.of(t);
            for (ConvGeometry g : geometries()) {
                plans.add(g.isDepthwise() ? new DepthwisePlan(g, pool) : new ImplicitGemmPlan(g, pool));
            }
        }
        return plans;
    }

    /** The paths {@link #plans} take. */
    static Set<KernelPath> coveredPaths(int threads) {
        Set<KernelPath> paths = EnumSet.noneOf(KernelPath.class);
        for (ConvPlan plan : plans(threads)) {
            paths.addAll(pathsOf(plan));
        }
        return paths;
    }

    /** The paths a {@code cpu} plan takes. */
    static Set<KernelPath> pathsOf(ConvPlan plan) {
        if (plan instanceof ImplicitGemmPlan p) {
            return p.paths();
        }
        if (plan instanceof DepthwisePlan p) {
            return p.paths();
        }
        throw new IllegalArgumentException("not a cpu plan: " + plan.getClass().getName());
    }

    /** Starts the warm-up for {@code threads} in the background, unless it ran already or is turned off. */
    static void startOnce(int threads) {
        if (!"true".equalsIgnoreCase(System.getProperty(PROPERTY, "false").trim()) || !STARTED.add(threads)) {
            return;
        }
        Thread t = new Thread(() -> run(threads, MAX_NANOS), "jconv-cpu-warmup-" + threads);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Runs warm-up rounds (every plan with and without bias) until a round is no longer 5% faster than the best
     * of the rounds before, after {@value #MIN_ROUNDS} at least, within {@code maxNanos}; returns the rounds run.
     */
    static int run(int threads, long maxNanos) {
        List<ConvPlan> plans = plans(threads);
        List<float[][]> data = new ArrayList<>();
        long seed = 1;
        for (ConvPlan plan : plans) {
            ConvGeometry g = plan.geometry();
            float[] in = Tensor.uniform(seed++, -1f, 1f, g.inputShape()).data();
            float[] w = Tensor.uniform(seed++, -1f, 1f, g.weightShape()).data();
            float[] b = Tensor.uniform(seed++, -1f, 1f, g.outChannels()).data();
            data.add(new float[][] {in, w, b, new float[g.batch() * g.outChannels() * g.outHeight() * g.outWidth()]});
        }
        long start = System.nanoTime();
        long best = Long.MAX_VALUE;
        int rounds = 0;
        int sinceBest = 0;
        while (System.nanoTime() - start < maxNanos) {
            long t0 = System.nanoTime();
            for (int i = 0; i < plans.size(); i++) {
                float[][] d = data.get(i);
                plans.get(i).forward(d[0], d[1], d[2], d[3]);
                plans.get(i).forward(d[0], d[1], null, d[3]);
            }
            long t = System.nanoTime() - t0;
            rounds++;
            if (t < best * 0.95) {
                best = t;
                sinceBest = 0;
            } else {
                sinceBest++;
            }
            if (rounds >= MIN_ROUNDS && sinceBest >= 50) {
                break;
            }
        }
        for (ConvPlan plan : plans) {
            plan.close();
        }
        return rounds;
    }
}
