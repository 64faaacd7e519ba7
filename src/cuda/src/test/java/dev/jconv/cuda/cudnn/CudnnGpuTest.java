package dev.jconv.cuda.cudnn;

import static dev.jconv.cuda.vendor.VendorGpuAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaException;
import dev.jconv.cuda.DeviceBuffer;
import dev.jconv.cuda.DeviceConvPlan;
import dev.jconv.cuda.GpuTestSupport;
import dev.jconv.cuda.cudnn.AlgorithmChoice.Candidate;
import dev.jconv.cuda.vendor.DeviceMemory;
import dev.jconv.cuda.vendor.RandomConvolutions;
import dev.jconv.cuda.vendor.RandomConvolutions.Case;
import dev.jconv.cuda.vendor.VendorGpuAssertions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import jcuda.jcudnn.cudnnConvolutionFwdAlgo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * cudnn against cpu-reference on the GPU (fp32 tolerance, NaN-poisoned outputs, fresh random inputs):
 * named and random shapes, every algorithm cuDNN offers, both bias paths, device tensors, TF32,
 * benchmark mode and its cache, determinism, memory shortage, many threads. Skipped with the reason
 * without a GPU and cuDNN 9; failing instead under JCONV_REQUIRE_GPU=1.
 */
@Tag(GpuTestSupport.GPU_TAG)
class CudnnGpuTest {
    private static CudaDevice device;
    private static CudnnBackend backend;
    private static final List<CudnnBackend> others = new ArrayList<>();

    @BeforeEach
    void requireGpu() {  // per test, so each test is reported skipped with the reason
        device = GpuTestSupport.requireCudaDevice();
        backend = GpuTestSupport.requireBackend(backend == null ? new CudnnBackend(CudnnSettings.DEFAULTS) : backend);
    }

    @AfterAll
    static void closeBackends() {
        if (backend != null) {
            backend.close();
        }
        others.forEach(CudnnBackend::close);
    }

    private static CudnnBackend another(CudnnBackend b) {
        others.add(b);
        return b;
    }

    static Stream<Case> namedCases() {
        return RandomConvolutions.named().stream();
    }

    static Stream<Case> randomCases() {
        return RandomConvolutions.draw(20261123L, 100).stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("namedCases")
    void namedShapesMatchTheReference(Case c) {
        DeviceConvPlan plan = backend.plan(c.geometry());
        for (int run = 1; run <= 2; run++) {
            assertMatches(c + " run " + run + " via " + plan.describe(), c, RandomConvolutions.run(plan, c));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("randomCases")
    void randomConvolutionsMatchTheReference(Case c) {
        DeviceConvPlan plan = backend.plan(c.geometry());
        assertMatches(c + " via " + plan.describe(), c, RandomConvolutions.run(plan, c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("namedCases")
    void deviceTensorsMatchTheReferenceWithTheOutputPoisoned(Case c) {
        assertMatches(c.toString(), c, VendorGpuAssertions.runOnDevice(device, backend.plan(c.geometry()), c));
    }

    /** Every algorithm cuDNN reports usable for a shape gives the reference's result (descriptors, pad pass, bias). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("namedCases")
    void everyAlgorithmCudnnOffersMatchesTheReference(Case c) {
        for (int algo = 0; algo < cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_COUNT; algo++) {
            int only = algo;
            try (CudnnBackend forced = new CudnnBackend(CudnnSettings.DEFAULTS,
                    ranked -> ranked.stream().filter(x -> x.algo() == only).toList())) {
                CudnnPlan plan = (CudnnPlan) forced.plan(c.geometry());
                if (plan.algorithm().algo() != only) {
                    continue;  // cuDNN cannot run this algorithm for the shape: the fallback ran instead (checked elsewhere)
                }
                assertMatches(c + " forced " + plan.describe(), c, RandomConvolutions.run(plan, c));
            }
        }
    }

    @Test
    void biasIsFusedWithImplicitPrecompGemmAndAddedOtherwiseBothCorrect() {
        Case c = RandomConvolutions.named().get(1);
        int precomp = cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
        try (CudnnBackend fused = new CudnnBackend(CudnnSettings.DEFAULTS,
                ranked -> ranked.stream().filter(x -> x.algo() == precomp).toList());
             CudnnBackend added = new CudnnBackend(CudnnSettings.DEFAULTS, ranked -> List.of())) {
            CudnnPlan f = (CudnnPlan) fused.plan(c.geometry());
            CudnnPlan a = (CudnnPlan) added.plan(c.geometry());
            assertTrue(f.fusesBias(), f.describe());
            assertFalse(a.fusesBias(), a.describe());
            assertEquals(AlgorithmChoice.FALLBACK_ALGO, a.algorithm().algo(), "an empty ranking falls back");
            assertMatches("fused bias: " + f.describe(), c, RandomConvolutions.run(f, c));
            assertMatches("cudnnAddTensor bias: " + a.describe(), c, RandomConvolutions.run(a, c));
        }
    }

    @Test
    void tf32IsOnlyUsedWhenAskedAndStaysWithinTheTf32Tolerance() {
        Case c = RandomConvolutions.named().get(2);
        CudnnPlan strict = (CudnnPlan) backend.plan(c.geometry());
        assertEquals(jcuda.jcudnn.cudnnMathType.CUDNN_FMA_MATH, strict.algorithm().mathType(), strict.describe());
        CudnnBackend tf32 = another(new CudnnBackend(CudnnSettings.DEFAULTS.withTf32(true)));
        CudnnPlan plan = (CudnnPlan) tf32.plan(c.geometry());
        String why = RandomConvolutions.mismatchTf32(c.reference(), RandomConvolutions.run(plan, c));
        assertNull(why, () -> plan.describe() + ": " + why);
    }

    @Test
    void benchmarkModeTimesEachShapeOnceAndLaterPlansReuseTheTiming() {
        Case c = RandomConvolutions.named().get(2);
        int before = BenchmarkCache.size();
        CudnnBackend first = another(new CudnnBackend(CudnnSettings.DEFAULTS.withBenchmark(true)));
        CudnnPlan timed = (CudnnPlan) first.plan(c.geometry());
        assertTrue(timed.describe().contains("benchmark choice") || timed.describe().contains("fallback"), timed.describe());
        assertEquals(before + 1, BenchmarkCache.size());
        assertMatches("benchmark " + timed.describe(), c, RandomConvolutions.run(timed, c));
        CudnnBackend second = another(new CudnnBackend(CudnnSettings.DEFAULTS.withBenchmark(true)));
        CudnnPlan reused = (CudnnPlan) second.plan(c.geometry());
        assertTrue(reused.describe().contains("cached timing"), reused.describe());
        assertEquals(timed.algorithm().algo(), reused.algorithm().algo());
        assertEquals(before + 1, BenchmarkCache.size(), "no second timing for the same parameter set");
        CudnnBackend deterministic = another(new CudnnBackend(CudnnSettings.DEFAULTS.withBenchmark(true).withDeterministic(true)));
        deterministic.plan(c.geometry());
        assertEquals(before + 2, BenchmarkCache.size(), "determinism is part of the key");
    }

    @Test
    void deterministicModeGivesBitIdenticalResultsRunToRun() {
        CudnnBackend det = another(new CudnnBackend(CudnnSettings.DEFAULTS.withDeterministic(true)));
        for (Case c : RandomConvolutions.named()) {
            CudnnPlan plan = (CudnnPlan) det.plan(c.geometry());
            assertTrue(plan.algorithm().deterministic(), plan.describe());
            float[] a = RandomConvolutions.run(plan, c);
            assertArrayEquals(a, RandomConvolutions.run(plan, c), plan.describe());
            assertMatches(plan.describe(), c, a);
        }
    }

    @Test
    void runningOutOfDeviceMemoryNamesTheSizesAndLeavesTheBackendUsable() {
        Case small = RandomConvolutions.named().get(1);
        backend.plan(small.geometry());  // handles, kernels and this plan exist before the baseline
        RandomConvolutions.run(backend.plan(small.geometry()), small);
        device.synchronize();
        long baseline = device.memoryInfo().used();
        // a reflect-padded convolution whose pad pass needs more than is left once the ballast is taken
        Case big = RandomConvolutions.make(40, new int[] {8, 64, 256, 256}, 8, 3, 3,
                dev.jconv.ConvParams.defaults().withPadding(1).withPaddingMode(dev.jconv.PaddingMode.REFLECT), false);
        CudaDevice.MemoryInfo m = device.memoryInfo();
        try (DeviceBuffer ballast = device.allocate(m.free() - (64L << 20))) {
            CudaException e = assertThrows(CudaException.class, () -> RandomConvolutions.run(backend.plan(big.geometry()), big));
            assertTrue(DeviceMemory.isOutOfMemory(e), e.getMessage());
            assertTrue(e.getMessage().contains("needs "), e.getMessage());
            assertTrue(ballast.byteSize() > 0);
        }
        assertMatches("after the out-of-memory error", small, RandomConvolutions.run(backend.plan(small.geometry()), small));
        assertMatches("the big one once memory is back", big, RandomConvolutions.run(backend.plan(big.geometry()), big));
        backend.close();
        device.streams().trim();
        device.synchronize();
        long after = device.memoryInfo().used();
        assertTrue(after <= baseline + (4L << 20), "device memory back to the baseline: " + baseline + " -> " + after);
    }

    @Test
    void withTheDeviceAlmostFullThePlanFallsBackToAlgorithmsThatFit() {
        Case c = RandomConvolutions.named().get(2);
        CudaDevice.MemoryInfo m = device.memoryInfo();
        try (DeviceBuffer ballast = device.allocate(m.free() - (32L << 20));
             CudnnBackend squeezed = new CudnnBackend(CudnnSettings.DEFAULTS)) {
            CudnnPlan plan = (CudnnPlan) squeezed.plan(c.geometry());
            assertTrue(plan.workspaceBytes() <= 32L << 20, plan.describe());
            assertMatches(plan.describe(), c, RandomConvolutions.run(plan, c));
            assertTrue(ballast.byteSize() > 0);
        }
    }

    @Test
    void sixteenThreadsShareThePlansAndMatchTheSerialResults() throws Exception {
        CudnnBackend det = another(new CudnnBackend(CudnnSettings.DEFAULTS.withDeterministic(true)));
        List<Case> cases = RandomConvolutions.named();
        VendorGpuAssertions.assertThreadsMatchTheSerialResults(det, cases, 16);
        for (Case c : cases) {
            CudnnPlan plan = (CudnnPlan) det.plan(c.geometry());
            assertTrue(plan.workspaceBuffers() <= 16, plan.describe());
        }
    }

    @Test
    void plansAreCachedPerGeometryAndDescribeTheirAlgorithm() {
        Case c = RandomConvolutions.named().get(0);
        assertSame(backend.plan(c.geometry()), backend.plan(c.geometry()));
        String text = backend.plan(c.geometry()).describe();
        assertTrue(text.startsWith("cuDNN 9."), text);
        Candidate chosen = ((CudnnPlan) backend.plan(c.geometry())).algorithm();
        assertTrue(text.contains(chosen.algoName()), text);
    }
}
