package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.Functional;
import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.cpu.ReferenceBackend;
import dev.jconv.cuda.cudnn.CudnnBackend;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** cuda-ptx against cpu-reference on the GPU: every kernel path, every parameter, host and device paths. */
@Tag(GpuTestSupport.GPU_TAG)
class PtxBackendGpuTest {
    private static CudaDevice device;
    private static PtxBackend backend;

    @BeforeEach
    void requireGpu() {  // per test, not @BeforeAll: so each test is reported skipped with the reason
        device = GpuTestSupport.requireCudaDevice();
        backend = GpuTestSupport.requireBackend(backend == null ? new PtxBackend() : backend);
    }

    @AfterAll
    static void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    static Stream<ConvCases.Case> namedCases() {
        return ConvCases.named().stream();
    }

    static Stream<ConvCases.Case> randomCases() {
        return ConvCases.random(20261121L, 120).stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("namedCases")
    void namedShapesMatchTheReferenceFromHostArrays(ConvCases.Case c) {
        ConvCases.assertClose(c + " via " + backend.plan(c.geometry()).describe(), c.reference(),
                ConvCases.run(backend.plan(c.geometry()), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("randomCases")
    void randomConvolutionsMatchTheReferenceFromHostArrays(ConvCases.Case c) {
        ConvCases.assertClose(c + " via " + backend.plan(c.geometry()).describe(), c.reference(),
                ConvCases.run(backend.plan(c.geometry()), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("namedCases")
    void deviceTensorsMatchTheReferenceWithTheOutputPoisoned(ConvCases.Case c) {
        try (DeviceTensor in = DeviceTensor.upload(device, c.input());
             DeviceTensor w = DeviceTensor.upload(device, c.weight());
             DeviceTensor b = c.bias() == null ? null : DeviceTensor.upload(device, c.bias());
             DeviceTensor out = DeviceTensor.allocate(device, c.geometry().outputShape())) {
            out.fill(Float.NaN);
            backend.forward(c.params(), in, w, b, out);
            ConvCases.assertClose(c.toString(), c.reference(), out.download().data());
        }
    }

    @Test
    void fusedReluMatchesReluOfTheReference() {
        for (ConvCases.Case c : List.of(ConvCases.named().get(1), ConvCases.named().get(5))) {
            float[] ref = c.reference();
            for (int i = 0; i < ref.length; i++) {
                ref[i] = Math.max(0f, ref[i]);
            }
            PtxPlan plan = (PtxPlan) backend.plan(c.geometry());
            try (DeviceTensor in = DeviceTensor.upload(device, c.input());
                 DeviceTensor w = DeviceTensor.upload(device, c.weight());
                 DeviceTensor b = c.bias() == null ? null : DeviceTensor.upload(device, c.bias());
                 DeviceTensor out = DeviceTensor.allocate(device, c.geometry().outputShape())) {
                out.fill(Float.NaN);
                plan.forward(in, w, b, out, true);
                ConvCases.assertClose(c + " + ReLU", ref, out.download().data());
            }
        }
    }

    @Test
    void twoLayersChainOnTheDeviceWithoutCopyingThroughTheHost() {
        Tensor x = Tensor.randn(31, 2, 16, 20, 20);
        Tensor w1 = Tensor.randn(32, 32, 16, 3, 3);
        Tensor w2 = Tensor.randn(33, 32, 1, 3, 3);  // depthwise
        ConvParams p1 = ConvParams.defaults().withPadding(1);
        ConvParams p2 = ConvParams.defaults().withPadding(1).withGroups(32);
        Tensor expected = Functional.conv2d(Functional.conv2d(x, w1, null, p1, ReferenceBackend.NAME), w2, null, p2,
                ReferenceBackend.NAME);
        try (DeviceTensor in = DeviceTensor.upload(device, x);
             DeviceTensor k1 = DeviceTensor.upload(device, w1);
             DeviceTensor k2 = DeviceTensor.upload(device, w2);
             DeviceTensor mid = DeviceTensor.allocate(device, 2, 32, 20, 20);
             DeviceTensor out = DeviceTensor.allocate(device, 2, 32, 20, 20)) {
            mid.fill(Float.NaN);
            out.fill(Float.NaN);
            backend.forward(p1, in, k1, null, mid);
            backend.forward(p2, mid, k2, null, out);
            // the reference ran on the reference's own float rounding of the middle layer; allow for the chain
            ConvCases.assertClose("two chained layers", expected.data(), out.download().data());
        }
    }

    @Test
    void asyncForwardOnACallersStreamIsOrderedByThatStream() {
        ConvCases.Case c = ConvCases.named().get(3);
        DeviceConvPlan plan = backend.plan(c.geometry());
        try (CudaStream stream = device.createStream();
             DeviceTensor in = DeviceTensor.upload(device, c.input());
             DeviceTensor w = DeviceTensor.upload(device, c.weight());
             DeviceTensor b = DeviceTensor.upload(device, c.bias());
             DeviceTensor out = DeviceTensor.allocate(device, c.geometry().outputShape())) {
            out.fill(Float.NaN);
            plan.forwardAsync(in, w, b, out, stream);
            stream.synchronize();
            ConvCases.assertClose(c.toString(), c.reference(), out.download().data());
        }
    }

    @Test
    void plansAreCachedPerGeometry() {
        ConvGeometry g = ConvCases.named().get(0).geometry();
        assertSame(backend.plan(g), backend.plan(g));
        assertTrue(backend.plan(g).describe().contains("conv2d_igemm"), backend.plan(g).describe());
    }

    @Test
    void wrongDeviceTensorShapesAreRejectedNamingTheSizes() {
        ConvCases.Case c = ConvCases.named().get(1);
        DeviceConvPlan plan = backend.plan(c.geometry());
        int[] expected = c.geometry().inputShape();
        int[] wrong = expected.clone();
        wrong[3]--;
        try (DeviceTensor in = DeviceTensor.allocate(device, wrong);
             DeviceTensor w = DeviceTensor.upload(device, c.weight());
             DeviceTensor out = DeviceTensor.allocate(device, c.geometry().outputShape())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan.forward(in, w, null, out));
            assertEquals("expected input of size " + Shapes.format(expected) + ", but got one of size "
                    + Shapes.format(wrong), e.getMessage());
        }
    }

    /**
     * {@code auto} tries cudnn before cuda-ptx for a dense 3x3 ({@link Backends#autoOrder}): on a GPU
     * host it picks cudnn where cuDNN loads and cuda-ptx where it does not; never a CPU backend.
     */
    @Test
    void autoPicksAGpuBackendInItsOrderWhenAGpuIsPresent() {
        ConvCases.Case c = ConvCases.named().get(1);
        String expected = Backends.byName(CudnnBackend.NAME).availability().available() ? CudnnBackend.NAME : PtxBackend.NAME;
        assertEquals(expected, Backends.select("auto", c.geometry()).backend().name());
    }
}
