package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Many request threads on the same plans give exactly the serial results. */
@Tag(GpuTestSupport.GPU_TAG)
class PtxConcurrencyGpuTest {
    private static final int THREADS = 16;
    /** Rounds per thread; one on the emulated driver (a CPU: the point there is the host code's thread safety). */
    private static final int ROUNDS = 8;
    private static PtxBackend backend;

    @BeforeEach
    void requireGpu() {  // per test, not @BeforeAll: so each test is reported skipped with the reason
        GpuTestSupport.requireCudaDevice();
        backend = GpuTestSupport.requireBackend(backend == null ? new PtxBackend() : backend);
    }

    @AfterAll
    static void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void sixteenThreadsOnSharedPlansMatchTheSerialResultsBitForBit() throws Exception {
        List<ConvCases.Case> cases = ConvCases.named();
        List<float[]> serial = new ArrayList<>();
        for (ConvCases.Case c : cases) {
            float[] out = ConvCases.run(backend.plan(c.geometry()), c);
            ConvCases.assertClose(c.toString(), c.reference(), out);
            serial.add(out);
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int offset = t;
                done.add(pool.submit(() -> {
                    for (int round = 0; round < (GpuTestSupport.emulated() ? 1 : ROUNDS); round++) {
                        for (int i = 0; i < cases.size(); i++) {
                            int k = (i + offset) % cases.size();  // threads hit different plans at the same moment
                            ConvCases.Case c = cases.get(k);
                            float[] out = ConvCases.run(backend.plan(c.geometry()), c);
                            assertArrayEquals(serial.get(k), out, "thread " + offset + ", round " + round + ": " + c);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.MINUTES);  // rethrows a thread's assertion failure
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
