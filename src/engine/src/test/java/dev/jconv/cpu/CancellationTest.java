package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.ConvolutionInterruptedException;
import dev.jconv.ConvolutionPlan;
import dev.jconv.Options;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvPlan;
import dev.jconv.backend.PlanCache;
import dev.jconv.testkit.OutputComparison;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * An interrupted forward pass stops at its next task boundary: it throws {@link ConvolutionInterruptedException}
 * soon after the interrupt (the calls below would run for many seconds), keeps the interrupt flag set, leaves no
 * pool task running, gives its scratch back, and the pool then serves new calls normally.
 */
class CancellationTest {
    /** Generous: a task (one tile run, one output row) takes milliseconds. */
    private static final long STOP_WITHIN_MS = 2000;

    /** About 180 GFLOP on cpu: many seconds on two shared cores. */
    private static final int[] LONG_INPUT = {4, 64, 192, 192};
    private static final int[] LONG_WEIGHT = {64, 64, 15, 15};
    /** About 2.6 G multiply-adds in double-precision loops on cpu-reference: many seconds. */
    private static final int[] REF_INPUT = {1, 64, 96, 96};
    private static final int[] REF_WEIGHT = {64, 64, 9, 9};

    @Test
    void interruptingCpuStopsPromptlyAndFreesThePool() throws Exception {
        Options options = Options.defaults().withBackend(CpuBackend.NAME).withThreads(2);
        ConvParams same = ConvParams.defaults().withPadding(7);
        PlanCache.clearAll();
        try (ConvolutionPlan plan = ConvolutionPlan.create(LONG_INPUT, LONG_WEIGHT, true, same, options)) {
            ConvPlan inner = Backends.select(options, plan.geometry()).backend().plan(plan.geometry());
            long tablesOnly = inner.retainedBytes();
            Outcome o = interruptMidway(plan, Tensor.randn(1, LONG_INPUT), Tensor.randn(2, LONG_WEIGHT),
                    Tensor.randn(3, 64));
            o.assertCancelledPromptly();
            assertEquals(0, WorkerPool.of(2).runningTasks(), "no pool task of the interrupted call still runs");
            assertTrue(inner.retainedBytes() > tablesOnly + 4L * 64 * 192 * 192 / 2,
                    "the layout copy and packed weights went back to the plan's pool: " + inner.retainedBytes());
        }
        assertPoolServesANewCall(options);
    }

    @Test
    void interruptingCpuReferenceStopsBetweenRows() throws Exception {
        Options options = Options.defaults().withBackend(ReferenceBackend.NAME);
        try (ConvolutionPlan plan = ConvolutionPlan.create(REF_INPUT, REF_WEIGHT, false, ConvParams.defaults(),
                options)) {
            interruptMidway(plan, Tensor.randn(4, REF_INPUT), Tensor.randn(5, REF_WEIGHT), null)
                    .assertCancelledPromptly();
        }
        assertPoolServesANewCall(options);
    }

    @Test
    void aThreadInterruptedBeforeTheCallDoesNoWork() {
        Options options = Options.defaults().withBackend(CpuBackend.NAME).withThreads(2);
        Tensor x = Tensor.randn(6, 1, 64, 32, 32);
        Tensor w = Tensor.randn(7, 64, 64, 3, 3);
        try (ConvolutionPlan plan = ConvolutionPlan.create(x.shape(), w.shape(), false, ConvParams.defaults(), options)) {
            Tensor y = Tensor.zeros(plan.outputShape());
            java.util.Arrays.fill(y.data(), Float.NaN);
            Thread.currentThread().interrupt();
            try {
                assertInstanceOf(CancellationException.class, org.junit.jupiter.api.Assertions.assertThrows(
                        ConvolutionInterruptedException.class, () -> plan.forward(x, w, null, y)));
                assertTrue(Thread.currentThread().isInterrupted(), "the flag stays set");
            } finally {
                Thread.interrupted();
            }
            assertTrue(Float.isNaN(y.data()[y.data().length - 1]), "nothing was computed");
            assertEquals(0, WorkerPool.of(2).runningTasks());
        }
    }

    private record Outcome(Throwable thrown, boolean flagKept, long stopMillis, boolean finished) {
        void assertCancelledPromptly() {
            assertTrue(finished, "the interrupted call returned at all");
            assertNotNull(thrown, "the call was interrupted, not completed");
            assertInstanceOf(ConvolutionInterruptedException.class, thrown);
            assertTrue(flagKept, "the interrupt flag is still set after the exception");
            assertTrue(stopMillis < STOP_WITHIN_MS, "stopped " + stopMillis + " ms after the interrupt");
        }
    }

    /** Starts {@code plan.forward} on a thread, interrupts it 300 ms in, and reports how it ended. */
    private static Outcome interruptMidway(ConvolutionPlan plan, Tensor x, Tensor w, Tensor b) throws Exception {
        Tensor y = Tensor.zeros(plan.outputShape());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean flag = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        Thread caller = new Thread(() -> {
            started.countDown();
            try {
                plan.forward(x, w, b, y);
            } catch (Throwable t) {
                thrown.set(t);
            }
            flag.set(Thread.currentThread().isInterrupted());
        }, "interrupted-forward");
        caller.start();
        started.await();
        Thread.sleep(300);
        assertTrue(caller.isAlive(), "the call is long enough to be interrupted midway");
        long t0 = System.nanoTime();
        caller.interrupt();
        caller.join(TimeUnit.SECONDS.toMillis(60));
        long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        return new Outcome(thrown.get(), flag.get(), stopMillis, !caller.isAlive());
    }

    /** A fresh call on the same backend (and pool) runs to completion and matches the reference. */
    private static void assertPoolServesANewCall(Options options) {
        Tensor x = Tensor.randn(8, 2, 16, 20, 20);
        Tensor w = Tensor.randn(9, 32, 16, 3, 3);
        Tensor b = Tensor.randn(10, 32);
        ConvParams p = ConvParams.defaults().withPadding(1);
        Tensor y;
        try (ConvolutionPlan plan = ConvolutionPlan.create(x.shape(), w.shape(), true, p, options)) {
            y = plan.forward(x, w, b);
        }
        Tensor ref = Tensor.zeros(y.shape());
        ReferenceBackend.convolve(ConvValidator.checkForward(x.shape(), w.shape(), b.shape(), p), x.data(), w.data(),
                b.data(), ref.data());
        OutputComparison.assertClose("after the interrupt", ref, y);
    }
}
