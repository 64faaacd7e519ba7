package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** After a thousand forward calls and closing everything, device memory in use is back where it started. */
@Tag(GpuTestSupport.GPU_TAG)
class DeviceMemoryLeakGpuTest {
    /** A new backend (modules unloaded and loaded again, plans and tap tables made again) every this many calls. */
    private static final int RELOAD_EVERY = 100;
    private static CudaDevice device;

    @BeforeEach
    void requireGpu() {  // per test, not @BeforeAll: so each test is reported skipped with the reason
        device = GpuTestSupport.requireCudaDevice();
        GpuTestSupport.requireBackend(new PtxBackend());
    }

    /** Forwards measured; on the emulated driver fewer (it is a CPU), still several backend reloads. */
    private static int forwards() {
        return GpuTestSupport.emulated() ? 200 : 1000;
    }

    @Test
    void thousandForwardsThenCloseReturnsEveryByte() {
        List<ConvCases.Case> cases = ConvCases.named();
        // the same workload first, through every path the measured loop takes (module unload and reload
        // at each new backend included): the context, JIT caches and the driver's own pools settle
        workload(cases, 2 * RELOAD_EVERY);
        device.streams().trim();
        long before = device.memoryInfo().used();

        workload(cases, forwards());
        device.streams().trim();
        long after = device.memoryInfo().used();

        assertEquals(before, after, "device memory in use before and after " + forwards() + " forwards (bytes)");
    }

    /**
     * {@code forwards} calls, alternating host arrays and fresh device tensors, with a new backend every
     * {@link #RELOAD_EVERY} calls.
     */
    private static void workload(List<ConvCases.Case> cases, int forwards) {
        PtxBackend backend = new PtxBackend();
        try {
            for (int i = 0; i < forwards; i++) {
                if (i % RELOAD_EVERY == RELOAD_EVERY - 1) {
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
