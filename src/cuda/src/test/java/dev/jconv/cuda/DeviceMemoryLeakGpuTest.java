package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** After a thousand forward calls and closing everything, device memory in use is back where it started. */
@Tag(GpuTestSupport.GPU_TAG)
class DeviceMemoryLeakGpuTest {
    private static CudaDevice device;

    @BeforeEach
    void requireGpu() {  // per test, not @BeforeAll: so each test is reported skipped with the reason
        device = GpuTestSupport.requireCudaDevice();
        GpuTestSupport.requireBackend(new PtxBackend());
    }

    @Test
    void thousandForwardsThenCloseReturnsEveryByte() {
        List<ConvCases.Case> cases = ConvCases.named();
        // the same workload once first: the context, JIT caches and the driver's own pools settle
        workload(cases, 60);
        device.streams().trim();
        long before = device.memoryInfo().used();

        workload(cases, 1000);
        device.streams().trim();
        long after = device.memoryInfo().used();

        assertEquals(before, after, "device memory in use before and after 1000 forwards (bytes)");
    }

    /**
     * {@code forwards} calls, alternating host arrays and fresh device tensors, with a new backend (new
     * modules, plans and tap tables) every 100 calls.
     */
    private static void workload(List<ConvCases.Case> cases, int forwards) {
        PtxBackend backend = new PtxBackend();
        try {
            for (int i = 0; i < forwards; i++) {
                if (i % 100 == 99) {
                    backend.close();
                    backend = new PtxBackend();
                }
                ConvCases.Case c = cases.get(i % cases.size());
                DeviceConvPlan plan = backend.plan(c.geometry());
                if (i % 2 == 0) {
                    ConvCases.run(plan, c);
                } else {
                    try (DeviceTensor in = DeviceTensor.upload(device, c.input());
                         DeviceTensor w = DeviceTensor.upload(device, c.weight());
                         DeviceTensor b = c.bias() == null ? null : DeviceTensor.upload(device, c.bias());
                         DeviceTensor out = DeviceTensor.allocate(device, c.geometry().outputShape())) {
                        plan.forward(in, w, b, out);
                    }
                }
            }
        } finally {
            backend.close();
        }
    }
}
