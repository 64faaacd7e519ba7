package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.ConvolutionInterruptedException;
import dev.jconv.ConvolutionPlan;
import dev.jconv.DeviceTensorRef;
import dev.jconv.Functional;
import dev.jconv.Options;
import dev.jconv.StreamRef;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.testkit.OutputComparison;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The public plan on GPU backends, with device memory and a stream passed as plain values the way another
 * library would pass them (raw address, raw stream handle), against cpu-reference.
 */
@Tag(GpuTestSupport.GPU_TAG)
class ConvolutionPlanGpuTest {
    private static final int[] INPUT = {2, 16, 20, 18};
    private static final int[] WEIGHT = {24, 8, 3, 3};
    private static final ConvParams PARAMS = ConvParams.defaults().withPadding(1).withGroups(2);

    @ParameterizedTest
    @ValueSource(strings = {"cuda-ptx", "cudnn"})
    void runsOnTheCallersMemoryAndStream(String backend) {
        CudaDevice device = GpuTestSupport.requireCudaDevice();
        GpuTestSupport.requireBackend(Backends.byName(backend));
        Tensor x = Tensor.randn(1, INPUT);
        Tensor w = Tensor.randn(2, WEIGHT);
        Tensor b = Tensor.randn(3, 24);
        Tensor expected = Functional.conv2d(x, w, b, PARAMS, "cpu-reference");
        Options options = Options.defaults().withBackend(backend).withDeviceIndex(device.ordinal());
        try (ConvolutionPlan plan = ConvolutionPlan.create(INPUT, WEIGHT, true, PARAMS, options);
             DeviceTensor dx = DeviceTensor.upload(device, x);
             DeviceTensor dw = DeviceTensor.upload(device, w);
             DeviceTensor db = DeviceTensor.upload(device, b);
             DeviceTensor dy = DeviceTensor.allocate(device, expected.shape());
             CudaStream theirs = device.createStream()) {
            assertTrue(plan.runsOnDevice(), plan.toString());
            dy.fill(Float.NaN);
            int d = device.ordinal();
            plan.forward(ref(dx, d), ref(dw, d), ref(db, d), ref(dy, d), new StreamRef(theirs.rawHandle(), d));
            theirs.synchronize();
            OutputComparison.assertClose(backend + " on the caller's stream", expected, dy.download());

            dy.fill(Float.NaN);
            plan.forward(ref(dx, d), ref(dw, d), ref(db, d), ref(dy, d), null); // jconv's stream, waits
            OutputComparison.assertClose(backend + " on jconv's stream", expected, dy.download());

            Thread.currentThread().interrupt();
            try {
                assertThrows(ConvolutionInterruptedException.class,
                        () -> plan.forward(ref(dx, d), ref(dw, d), ref(db, d), ref(dy, d), null));
                assertTrue(Thread.currentThread().isInterrupted(), "the flag stays set");
            } finally {
                Thread.interrupted();
            }
        }
    }

    private static DeviceTensorRef ref(DeviceTensor t, int device) {
        return DeviceTensorRef.of(t.address(), device, t.shape());
    }
}
