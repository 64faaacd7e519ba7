package dev.jconv.cuda.vendor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.jconv.ConvGeometry;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvBackend;
import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.DeviceConvPlan;
import dev.jconv.cuda.DeviceTensor;
import dev.jconv.cuda.vendor.RandomConvolutions.Case;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** The checks the cudnn and cublas GPU tests share: the fp32 rule, device-tensor runs, many threads. */
public final class VendorGpuAssertions {
    private VendorGpuAssertions() {}

    /** {@code out} meets the fp32 rule against the case's reference ({@link RandomConvolutions#mismatch}). */
    public static void assertMatches(String what, Case c, float[] out) {
        String why = RandomConvolutions.mismatch(c.reference(), out);
        assertNull(why, () -> what + ": " + why);
    }

    /** Runs {@code plan} on device tensors uploaded from the case, the output poisoned with NaN; the output downloaded. */
    public static float[] runOnDevice(CudaDevice device, DeviceConvPlan plan, Case c) {
        ConvGeometry g = c.geometry();
        try (DeviceTensor in = DeviceTensor.upload(device, Tensor.of(c.input(), g.inputShape()));
             DeviceTensor w = DeviceTensor.upload(device, Tensor.of(c.weight(), g.weightShape()));
             DeviceTensor b = c.bias() == null ? null : DeviceTensor.upload(device, Tensor.of(c.bias(), g.outChannels()));
             DeviceTensor out = DeviceTensor.allocate(device, g.outputShape())) {
            out.fill(Float.NaN);
            plan.forward(in, w, b, out);
            return out.download().data();
        }
    }

    /**
     * Runs every case once serially, then {@code threads} threads each run every case three times
     * (in different orders) on the backend's shared plans; every result must equal the serial one bit for bit.
     */
    public static void assertThreadsMatchTheSerialResults(ConvBackend backend, List<Case> cases, int threads)
            throws Exception {
        List<float[]> serial = new ArrayList<>();
        for (Case c : cases) {
            serial.add(RandomConvolutions.run(backend.plan(c.geometry()), c));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 3 * cases.size(); i++) {
                        int k = (i + offset) % cases.size();
                        Case c = cases.get(k);
                        assertArrayEquals(serial.get(k), RandomConvolutions.run(backend.plan(c.geometry()), c), c.toString());
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(300, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
