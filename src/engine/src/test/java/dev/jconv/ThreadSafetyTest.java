package dev.jconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One {@link Conv2d} shared by 16 threads at once, as a server's request threads would share it: every
 * concurrent result is bitwise the serial result for the same input.
 */
class ThreadSafetyTest {
    private static final int THREADS = 16;
    private static final int ROUNDS = 3;

    /** Inputs of several shapes (so concurrent calls also resolve different geometries), fresh random values. */
    private static List<Tensor> inputs() {
        List<Tensor> in = new ArrayList<>();
        int seed = 100;
        for (int[] shape : new int[][] {{2, 8, 12, 12}, {1, 8, 9, 13}, {8, 7, 7}, {3, 8, 5, 6}, {0, 8, 6, 6}}) {
            in.add(Tensor.randn(seed++, shape));
        }
        return in;
    }

    @Test
    void sixteenThreadsGetBitwiseTheSerialResults() throws Exception {
        Conv2d conv = Conv2d.builder(8, 12, 3).padding(1).dilation(1, 2).groups(2).paddingMode("reflect").seed(5).build();
        List<Tensor> inputs = inputs();
        List<float[]> serial = new ArrayList<>();
        for (Tensor x : inputs) {
            serial.add(conv.forward(x).data());
        }
        runConcurrently(thread -> {
            for (int round = 0; round < ROUNDS; round++) {
                for (int i = 0; i < inputs.size(); i++) {
                    int k = (i + thread + round) % inputs.size(); // threads hit the inputs in different orders
                    float[] got = conv.forward(inputs.get(k)).data();
                    assertBitwiseEqual(serial.get(k), got, "thread " + thread + ", round " + round + ", input " + k);
                }
            }
        });
        for (int k = 0; k < inputs.size(); k++) {
            assertBitwiseEqual(serial.get(k), conv.forward(inputs.get(k)).data(), "inputs must be unchanged, input " + k);
        }
    }

    @Test
    void forwardDuringSetWeightSeesEitherTheOldOrTheNewWeights() throws Exception {
        forwardDuringSetWeight(Conv2d.builder(8, 12, 3).padding(1).seed(6).build(), Tensor.randn(8, 2, 8, 10, 10));
    }

    /**
     * The same on plans that keep each weight version prepared and reuse it by the weight's version (the channel
     * GEMM of a 1x1 on 7x7, Winograd on 28x28): every setWeight brings a new array at a new version, which the
     * racing calls must each use whole or not at all.
     */
    @Test
    void forwardDuringSetWeightSeesEitherWeightOnPlansThatKeepWeightVersions() throws Exception {
        forwardDuringSetWeight(Conv2d.builder(256, 128, 1).seed(7).build(), Tensor.randn(9, 1, 256, 7, 7));
        forwardDuringSetWeight(Conv2d.builder(64, 64, 3).padding(1).seed(8).build(), Tensor.randn(10, 1, 64, 28, 28));
    }

    private void forwardDuringSetWeight(Conv2d conv, Tensor x) throws Exception {
        Tensor oldWeight = conv.weight().copy();
        Tensor newWeight = Tensor.randn(77, conv.weightShape());
        float[] withOld = conv.forward(x).data();
        conv.setWeight(newWeight);
        float[] withNew = conv.forward(x).data();
        conv.setWeight(oldWeight);
        runConcurrently(thread -> {
            for (int i = 0; i < 20; i++) {
                if (thread == 0) {
                    conv.setWeight(i % 2 == 0 ? newWeight : oldWeight);
                } else {
                    float[] got = conv.forward(x).data();
                    assertTrue(bitwiseEqual(withOld, got) || bitwiseEqual(withNew, got),
                            "thread " + thread + " saw a mixture of two weights");
                }
            }
        });
    }

    private interface Work {
        void run(int thread) throws Exception;
    }

    /** Starts every thread at the same moment and fails with the first thread's failure. */
    private static void runConcurrently(Work work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch ready = new CountDownLatch(THREADS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Void>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                Callable<Void> task = () -> {
                    ready.countDown();
                    go.await();
                    work.run(thread);
                    return null;
                };
                futures.add(pool.submit(task));
            }
            assertTrue(ready.await(60, TimeUnit.SECONDS), "threads did not start");
            go.countDown();
            for (Future<Void> f : futures) {
                try {
                    f.get(300, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof AssertionError a) {
                        throw a;
                    }
                    throw e;
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void assertBitwiseEqual(float[] expected, float[] actual, String what) {
        if (!bitwiseEqual(expected, actual)) {
            assertArrayEquals(expected, actual, what); // reports the first differing element
            fail(what + ": equal values but different bits (e.g. -0.0 vs 0.0 or NaN payloads)");
        }
    }

    private static boolean bitwiseEqual(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return false;
            }
        }
        return true;
    }
}
