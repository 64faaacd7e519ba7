package dev.jconv.cuda.cublas;

import static dev.jconv.cuda.vendor.VendorGpuAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaException;
import dev.jconv.cuda.DeviceBuffer;
import dev.jconv.cuda.DeviceConvPlan;
import dev.jconv.cuda.GpuTestSupport;
import dev.jconv.cuda.vendor.DeviceMemory;
import dev.jconv.cuda.vendor.RandomConvolutions;
import dev.jconv.cuda.vendor.RandomConvolutions.Case;
import dev.jconv.cuda.vendor.VendorGpuAssertions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * cublas against cpu-reference on the GPU: named and random shapes (im2col and the pointwise GEMM),
 * several chunks, device tensors, TF32, memory shortage, many threads. Skipped with the reason without a
 * GPU or without CUDA 12's cuBLAS (see {@link CublasGpu}).
 */
@Tag(GpuTestSupport.GPU_TAG)
class CublasGpuTest {
    private static CudaDevice device;
    private static CublasBackend backend;

    @BeforeEach
    void requireGpu() {
        backend = CublasGpu.require(backend == null ? new CublasBackend(CublasSettings.DEFAULTS) : backend);
        device = GpuTestSupport.requireCudaDevice();
    }

    @AfterAll
    static void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    static Stream<Case> namedCases() {
        return RandomConvolutions.named().stream();
    }

    static Stream<Case> randomCases() {
        return RandomConvolutions.draw(20261124L, 100).stream();
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

    @Test
    void aBatchLargerThanTheColumnBudgetRunsInSeveralChunks() {
        Case c = RandomConvolutions.make(50, new int[] {40, 64, 56, 56}, 64, 3, 3, ConvParams.defaults().withPadding(1), true);
        CublasPlan plan = (CublasPlan) backend.plan(c.geometry());
        assertTrue(plan.gemm().chunkStarts().size() >= 2, plan.describe());
        assertMatches(plan.describe(), c, RandomConvolutions.run(plan, c));
    }

    @Test
    void pointwiseNeedsNoColumnMatrix() {
        Case c = RandomConvolutions.named().get(3);
        CublasPlan plan = (CublasPlan) backend.plan(c.geometry());
        assertTrue(plan.gemm().pointwise(), plan.describe());
        assertEquals(0, plan.gemm().columnBytes());
        assertMatches(plan.describe(), c, RandomConvolutions.run(plan, c));
    }

    @Test
    void tf32StaysWithinTheTf32Tolerance() {
        Case c = RandomConvolutions.named().get(2);
        try (CublasBackend tf32 = new CublasBackend(new CublasSettings(true))) {
            DeviceConvPlan plan = tf32.plan(c.geometry());
            String why = RandomConvolutions.mismatchTf32(c.reference(), RandomConvolutions.run(plan, c));
            assertNull(why, () -> plan.describe() + ": " + why);
        }
    }

    @Test
    void runningOutOfDeviceMemoryNamesTheSizesAndLeavesTheBackendUsable() {
        Case small = RandomConvolutions.named().get(1);
        RandomConvolutions.run(backend.plan(small.geometry()), small);
        Case big = RandomConvolutions.make(51, new int[] {8, 64, 128, 128}, 8, 3, 3, ConvParams.defaults().withPadding(1), false);
        CudaDevice.MemoryInfo m = device.memoryInfo();
        try (DeviceBuffer ballast = device.allocate(m.free() - (32L << 20))) {
            CudaException e = assertThrows(CudaException.class, () -> RandomConvolutions.run(backend.plan(big.geometry()), big));
            assertTrue(DeviceMemory.isOutOfMemory(e), e.getMessage());
            assertTrue(e.getMessage().contains("needs ") && e.getMessage().contains("im2col column matrix"), e.getMessage());
            assertTrue(ballast.byteSize() > 0);
        }
        assertMatches("after the out-of-memory error", small, RandomConvolutions.run(backend.plan(small.geometry()), small));
        assertMatches("the big one once memory is back", big, RandomConvolutions.run(backend.plan(big.geometry()), big));
    }

    @Test
    void sixteenThreadsShareThePlansAndMatchTheSerialResults() throws Exception {
        List<Case> cases = RandomConvolutions.named();
        VendorGpuAssertions.assertThreadsMatchTheSerialResults(backend, cases, 16);
    }
}
