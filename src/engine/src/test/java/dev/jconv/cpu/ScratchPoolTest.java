package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/** Scratch pools keep at most one idle buffer per thread, so a burst of concurrent callers does not stay. */
class ScratchPoolTest {

    @Test
    void keepsAtMostMaxIdleBuffersAndCountsTheirBytes() {
        ScratchPool pool = new ScratchPool(2);
        List<float[]> taken = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            taken.add(pool.take(1000));
        }
        taken.forEach(pool::give);
        assertEquals(2, pool.idleCount());
        assertEquals(2 * 1000 * Float.BYTES, pool.idleBytes());
        float[] again = pool.take(1000);
        assertTrue(taken.contains(again), "a kept buffer is reused");
        assertEquals(1000 * Float.BYTES, pool.idleBytes());
        pool.give(again);
        pool.clear();
        assertEquals(0, pool.idleCount());
        assertEquals(0, pool.idleBytes());
    }

    @Test
    void aTooSmallBufferIsReplaced() {
        ScratchPool pool = new ScratchPool(1);
        float[] small = pool.take(10);
        pool.give(small);
        float[] big = pool.take(20);
        assertEquals(20, big.length);
        pool.give(big);
        assertSame(big, pool.take(20));
    }

    /** 16 callers at once on one 2-thread plan: afterwards it keeps two layout copies, not sixteen. */
    @Test
    void aPlanShrinksBackAfterABurstOfConcurrentCalls() throws Exception {
        ConvGeometry g = ConvValidator.checkForward(new int[] {1, 16, 64, 64}, new int[] {32, 16, 3, 3}, null,
                ConvParams.defaults().withPadding(1));
        ImplicitGemmPlan plan = new ImplicitGemmPlan(g, WorkerPool.of(2));
        Tensor x = Tensor.randn(1, 1, 16, 64, 64);
        Tensor w = Tensor.randn(2, 32, 16, 3, 3);
        long tables = plan.retainedBytes();
        plan.forward(x.data(), w.data(), null, new float[32 * 64 * 64]);
        long scratchOfOneCall = plan.retainedBytes() - tables;
        assertTrue(scratchOfOneCall >= 16L * 64 * 64 * Float.BYTES, "one call keeps its layout copy: " + scratchOfOneCall);
        int callers = 16;
        CyclicBarrier together = new CyclicBarrier(callers);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            Thread t = new Thread(() -> {
                try {
                    together.await();
                    for (int r = 0; r < 5; r++) {
                        plan.forward(x.data(), w.data(), null, new float[32 * 64 * 64]);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        long after = plan.retainedBytes() - tables;
        assertTrue(after <= 2 * scratchOfOneCall,
                "after the burst the plan keeps " + after + " bytes of scratch, one call needs " + scratchOfOneCall);
    }
}
