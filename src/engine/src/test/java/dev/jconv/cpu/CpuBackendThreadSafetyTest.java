package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.PostOp;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * One plan shared by many caller threads at once, each with its own data, every result checked against the
 * reference: the per-call layout buffers and per-task scratch must never be shared between calls.
 */
class CpuBackendThreadSafetyTest {
    private static final int CALLERS = 8;
    private static final int ROUNDS = 6;

    @Test
    void implicitGemmPlanIsSafeToShare() throws Exception {
        runConcurrently(new int[] {2, 12, 21, 19}, new int[] {10, 12, 3, 3},
                new ConvParams(1, 1, Padding.of(1), 1, 1, 1, PaddingMode.REFLECT));
    }

    @Test
    void depthwisePlanIsSafeToShare() throws Exception {
        runConcurrently(new int[] {2, 12, 21, 19}, new int[] {24, 1, 3, 3},
                new ConvParams(1, 1, Padding.of(1), 1, 1, 12, PaddingMode.ZEROS));
    }

    /** Each caller brings its own weights, so the callers also race on the plan's transformed-filter cache. */
    @Test
    void winogradPlanIsSafeToShareWithDifferentWeights() throws Exception {
        ConvParams params = new ConvParams(1, 1, Padding.of(1), 1, 1, 1, PaddingMode.ZEROS);
        int[] input = {2, 64, 21, 19};
        int[] weight = {64, 64, 3, 3};
        ConvGeometry g = ConvValidator.checkForward(input, weight, new int[] {64}, params);
        assertTrue(new CpuBackend(2, 0).plan(g).describe().startsWith("Winograd"));
        runConcurrently(input, weight, params);
    }

    /** The same for the channel-vectorized GEMM's packed weights, checked block by block against each call's. */
    @Test
    void channelGemmPlanIsSafeToShareWithDifferentWeights() throws Exception {
        ConvParams params = new ConvParams(2, 2, Padding.of(1), 1, 1, 1, PaddingMode.ZEROS);
        int[] input = {2, 40, 14, 13};
        int[] weight = {100, 40, 3, 3};
        ConvGeometry g = ConvValidator.checkForward(input, weight, new int[] {100}, params);
        assertTrue(new CpuBackend(2, 0).plan(g).describe().startsWith("channel-vectorized GEMM"));
        runConcurrently(input, weight, params);
    }

    /** The stem plan (the backend picks it only where vectors are narrow), its packed weights raced on too. */
    @Test
    void stemPlanIsSafeToShareWithDifferentWeights() throws Exception {
        ConvParams params = new ConvParams(2, 2, Padding.of(3), 1, 1, 1, PaddingMode.ZEROS);
        int[] input = {2, 3, 30, 27};
        int[] weight = {40, 3, 7, 7};
        ConvGeometry g = ConvValidator.checkForward(input, weight, new int[] {40}, params);
        try (StemPlan plan = new StemPlan(g, WorkerPool.of(2), PostOp.NONE)) {
            runConcurrently(input, weight, params, plan);
        }
    }

    private static void runConcurrently(int[] inputShape, int[] weightShape, ConvParams params) throws Exception {
        ConvGeometry g = ConvValidator.checkForward(inputShape, weightShape, new int[] {weightShape[0]}, params);
        runConcurrently(inputShape, weightShape, params, new CpuBackend(2, 0).plan(g));
    }

    private static void runConcurrently(int[] inputShape, int[] weightShape, ConvParams params, ConvPlan plan)
            throws Exception {
        ConvGeometry g = plan.geometry();
        int outLength = g.batch() * g.outChannels() * g.outHeight() * g.outWidth();
        ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < CALLERS; t++) {
                long seed = 100L * t;
                done.add(callers.submit(() -> {
                    float[] in = Tensor.uniform(seed, -1f, 1f, inputShape).data();
                    float[] w = Tensor.uniform(seed + 1, -1f, 1f, weightShape).data();
                    float[] b = Tensor.uniform(seed + 2, -1f, 1f, weightShape[0]).data();
                    float[] ref = new float[outLength];
                    AgainstReference.REFERENCE.plan(g).forward(in, w, b, ref);
                    start.await();
                    for (int round = 0; round < ROUNDS; round++) {
                        float[] out = new float[outLength];
                        Arrays.fill(out, Float.NaN);
                        plan.forward(in, w, b, out);
                        AgainstReference.assertClose(ref, out, "caller " + seed / 100 + " round " + round);
                    }
                    return ROUNDS;
                }));
            }
            start.countDown();
            for (Future<Integer> f : done) {
                assertEquals(ROUNDS, f.get());
            }
        } finally {
            callers.shutdownNow();
        }
    }
}
