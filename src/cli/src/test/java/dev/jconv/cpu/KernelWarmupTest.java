package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import dev.jconv.bench.LayerSpec;
import dev.jconv.bench.Suites;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The warm-up must take every kernel path a real shape can take, or a process running many shapes would again
 * deoptimize into interpreted vector code when a shape takes an unwarmed path (no timing here: the speed
 * itself is checked by {@code benchmarks/suite_vs_alone.py}).
 */
class KernelWarmupTest {

    @Test
    void onAPoolTheWarmUpTakesEveryKernelPath() {
        assertEquals(EnumSet.allOf(KernelPath.class), KernelWarmup.coveredPaths(2));
        assertEquals(EnumSet.allOf(KernelPath.class), KernelWarmup.coveredPaths(4));
    }

    /** Every layer of every bench suite, planned as the backend plans it, takes only paths the warm-up took. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8})
    void everySuiteLayerTakesOnlyWarmedPaths(int threads) {
        Set<KernelPath> warmed = KernelWarmup.coveredPaths(threads);
        CpuBackend cpu = new CpuBackend(threads);
        int layers = 0;
        for (String suite : Suites.names()) {
            for (LayerSpec layer : Suites.layers(suite)) {
                Set<KernelPath> paths = KernelWarmup.pathsOf(cpu.plan(layer.geometry()));
                Set<KernelPath> missing = EnumSet.copyOf(paths);
                missing.removeAll(warmed);
                assertTrue(missing.isEmpty(), suite + " layer " + layer.text() + " on " + threads
                        + " threads takes paths the warm-up does not: " + missing);
                layers++;
            }
        }
        assertTrue(layers > 50, "suites read: " + layers + " layers");
    }

    /** The paths are read from the plans, not assumed: shapes known to differ report different paths. */
    @Test
    void pathsFollowTheShape() {
        CpuBackend cpu = new CpuBackend(2);
        Set<KernelPath> wide = KernelWarmup.pathsOf(cpu.plan(LayerSpec.parse("1,64,56,56,64,3,1,1,1,1").geometry()));
        Set<KernelPath> small = KernelWarmup.pathsOf(cpu.plan(LayerSpec.parse("1,16,28,28,64,3,2,1,1,1").geometry()));
        Set<KernelPath> pointwise = KernelWarmup.pathsOf(cpu.plan(LayerSpec.parse("1,256,14,14,1024,1,1,0,1,1")
                .geometry()));
        Set<KernelPath> depthwise = KernelWarmup.pathsOf(cpu.plan(LayerSpec.parse("1,32,112,112,32,3,1,1,1,32")
                .geometry()));
        assertTrue(wide.containsAll(EnumSet.of(KernelPath.PACKED_FULL_TILE, KernelPath.FUSED_COPY)), wide.toString());
        assertTrue(small.contains(KernelPath.IN_PLACE_FULL_TILE) && !small.contains(KernelPath.PACKED_FULL_TILE),
                small.toString());
        assertTrue(pointwise.containsAll(EnumSet.of(KernelPath.IN_PLACE_FULL_TILE, KernelPath.DIRECT_INPUT)),
                pointwise.toString());
        assertTrue(depthwise.contains(KernelPath.DEPTHWISE_FOUR_ROWS), depthwise.toString());
        assertTrue(KernelWarmup.pathsOf(cpu.plan(LayerSpec.parse("1,8,23,23,12,1,1,0,1,1").geometry()))
                .contains(KernelPath.PARTIAL_BLOCK));
    }

    /** The warm-up's own shapes (odd channel counts, one-row blocks, bias) compute the right result. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void warmUpPlansAgreeWithTheReference(int threads) {
        long seed = 11;
        for (ConvPlan plan : KernelWarmup.plans(threads)) {
            ConvGeometry g = plan.geometry();
            float[] in = Tensor.uniform(seed++, -1f, 1f, g.inputShape()).data();
            float[] w = Tensor.uniform(seed++, -1f, 1f, g.weightShape()).data();
            float[] b = Tensor.uniform(seed++, -1f, 1f, g.outChannels()).data();
            AgainstReference.check(plan, in, w, b, "warm-up shape on " + threads + " threads");
            AgainstReference.check(plan, in, w, null, "warm-up shape on " + threads + " threads, no bias");
        }
    }

    @Test
    void aZeroBudgetRunsNoRound() {
        assertEquals(0, KernelWarmup.run(2, 0));
    }
}
