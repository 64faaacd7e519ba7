package dev.jconv.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.testkit.ForkedJvm;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The plan caches' shared byte budget: LRU eviction, closing only idle plans, clear, and the counts. */
class PlanCacheTest {
    private static final long PLAN_BYTES = 1000;

    private long savedBudget;
    private final List<FakePlan> made = new ArrayList<>();
    private final AtomicInteger planned = new AtomicInteger();
    private final PlanCache cache = new PlanCache(g -> {
        planned.incrementAndGet();
        FakePlan p = new FakePlan(g, PLAN_BYTES);
        made.add(p);
        return p;
    });

    @BeforeEach
    void isolate() {
        savedBudget = PlanCache.budgetBytes();
        PlanCache.clearAll();
    }

    @AfterEach
    void restore() {
        cache.close();
        PlanCache.setBudgetBytes(savedBudget);
    }

    @Test
    void leastRecentlyUsedPlansAreDroppedAndClosedToStayInBudget() {
        PlanCache.setBudgetBytes(3 * PLAN_BYTES);
        long drops = PlanCache.dropsOverBudget();
        FakePlan a = (FakePlan) cache.get(geometry(10));
        FakePlan b = (FakePlan) cache.get(geometry(11));
        FakePlan c = (FakePlan) cache.get(geometry(12));
        assertEquals(3, cache.size());
        assertEquals(3 * PLAN_BYTES, PlanCache.retainedBytes());
        assertSame(a, cache.get(geometry(10)), "a is cached, and now the most recently used");

        FakePlan d = (FakePlan) cache.get(geometry(13)); // over budget: b, the least recently used, goes
        assertTrue(b.closed.get() > 0, "the dropped plan is closed");
        assertFalse(a.isClosed() || c.isClosed() || d.isClosed());
        assertEquals(3, cache.size());
        assertEquals(3, PlanCache.planCount());
        assertEquals(3 * PLAN_BYTES, PlanCache.retainedBytes());
        assertEquals(4, planned.get());
        assertEquals(drops + 1, PlanCache.dropsOverBudget(), "one plan dropped to stay in budget");

        assertNotSame(b, cache.get(geometry(11)), "b is planned again when asked for");
        assertEquals(5, planned.get());
        assertTrue(c.isClosed(), "c was the least recently used this time");
        assertEquals(1, b.closed.get(), "closed exactly once");
        assertEquals(drops + 2, PlanCache.dropsOverBudget());
    }

    @Test
    void aPlanInUseIsClosedOnlyWhenItsLastLeaseEnds() {
        PlanCache.setBudgetBytes(2 * PLAN_BYTES);
        PlanLease held = cache.lease(geometry(20));
        FakePlan plan = (FakePlan) held.plan();
        cache.get(geometry(21));
        cache.get(geometry(22)); // over budget: the held plan is the least recently used and is dropped...
        assertEquals(2, cache.size());
        assertFalse(plan.isClosed(), "...but not closed while leased");
        plan.forward(null, null, null, null);
        held.close();
        assertTrue(plan.isClosed(), "closed when the lease ends");
        held.close();
        assertEquals(1, plan.closed.get(), "closing a lease twice releases once");
        assertEquals(2 * PLAN_BYTES, PlanCache.retainedBytes());
    }

    @Test
    void growthDuringACallIsCountedWhenTheCallEnds() {
        PlanCache.setBudgetBytes(10 * PLAN_BYTES);
        FakePlan small = (FakePlan) cache.get(geometry(30));
        try (PlanLease l = cache.lease(geometry(31))) {
            ((FakePlan) l.plan()).bytes.set(10 * PLAN_BYTES); // its scratch grew during the call
        }
        assertTrue(small.isClosed(), "the older plan went to make room for the grown one");
        assertEquals(10 * PLAN_BYTES, PlanCache.retainedBytes());
    }

    @Test
    void aZeroBudgetKeepsNothingBetweenCalls() {
        PlanCache.setBudgetBytes(0);
        FakePlan first;
        try (PlanLease l = cache.lease(geometry(40))) {
            first = (FakePlan) l.plan();
            assertFalse(first.isClosed(), "usable for the call");
        }
        assertTrue(first.isClosed());
        assertEquals(0, cache.size());
        assertEquals(0, PlanCache.retainedBytes());
    }

    @Test
    void clearDropsEverythingAndTheCacheStaysUsable() {
        PlanCache.setBudgetBytes(100 * PLAN_BYTES);
        FakePlan a = (FakePlan) cache.get(geometry(50));
        cache.get(geometry(51));
        cache.clear();
        assertTrue(a.isClosed());
        assertEquals(0, cache.size());
        assertEquals(0, PlanCache.retainedBytes());
        assertFalse(cache.get(geometry(50)).equals(a));
        PlanCache.clearAll();
        assertEquals(0, PlanCache.planCount());
        assertTrue(PlanCache.describe().startsWith("0 plans keep 0.0 MiB of a "), PlanCache.describe());
    }

    @Test
    void shrinkingTheBudgetDropsPlansAtOnce() {
        PlanCache.setBudgetBytes(100 * PLAN_BYTES);
        for (int i = 0; i < 10; i++) {
            cache.get(geometry(60 + i));
        }
        PlanCache.setBudgetBytes(4 * PLAN_BYTES);
        assertEquals(4, cache.size());
        assertEquals(6, made.stream().filter(FakePlan::isClosed).count());
        assertThrows(IllegalArgumentException.class, () -> PlanCache.setBudgetBytes(-1));
    }

    @Test
    void aFailedPlanIsNotCached() {
        AtomicInteger attempts = new AtomicInteger();
        PlanCache failing = new PlanCache(g -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("no");
        });
        assertThrows(IllegalStateException.class, () -> failing.get(geometry(70)));
        assertThrows(IllegalStateException.class, () -> failing.get(geometry(70)));
        assertEquals(2, attempts.get());
        assertEquals(0, failing.size());
    }

    @Test
    void theBudgetComesFromThePropertyAndABadValueFallsBackToTheDefaultWithAWarning() throws Exception {
        ForkedJvm.Result set = ForkedJvm.run(PlanCacheBudgetMain.class, List.of("-Djconv.planCacheBytes=12345"), 60);
        assertEquals(0, set.exitCode(), set.err());
        assertEquals("12345", set.out().strip().split(" ")[0]);

        ForkedJvm.Result bad = ForkedJvm.run(PlanCacheBudgetMain.class, List.of("-Djconv.planCacheBytes=lots"), 60);
        assertEquals(0, bad.exitCode(), bad.err());
        String[] printed = bad.out().strip().split(" ");
        assertEquals(Long.parseLong(printed[1]) / 8, Long.parseLong(printed[0]), "the default: an eighth of the heap");
        assertTrue(bad.err().contains("-Djconv.planCacheBytes='lots' is not a byte count"), bad.err());
    }

    private static ConvGeometry geometry(int width) {
        return ConvValidator.checkForward(new int[] {1, 1, 4, width}, new int[] {1, 1, 3, 3}, null,
                ConvParams.defaults());
    }

    /** A plan that keeps {@code bytes} and counts how often it is closed. */
    private static final class FakePlan implements ConvPlan {
        final ConvGeometry g;
        final AtomicLong bytes;
        final AtomicInteger closed = new AtomicInteger();

        FakePlan(ConvGeometry g, long bytes) {
            this.g = g;
            this.bytes = new AtomicLong(bytes);
        }

        boolean isClosed() {
            return closed.get() > 0;
        }

        @Override
        public ConvGeometry geometry() {
            return g;
        }

        @Override
        public void forward(float[] input, float[] weight, float[] bias, float[] output) {
            if (isClosed()) {
                throw new IllegalStateException("closed");
            }
        }

        @Override
        public long retainedBytes() {
            return bytes.get();
        }

        @Override
        public String describe() {
            return "fake";
        }

        @Override
        public void close() {
            closed.incrementAndGet();
        }
    }
}
