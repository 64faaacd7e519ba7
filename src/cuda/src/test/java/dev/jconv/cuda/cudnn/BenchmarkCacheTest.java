package dev.jconv.cuda.cudnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.cuda.cudnn.AlgorithmChoice.Candidate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The benchmark cache times each full parameter set once per process, however many threads plan it. */
class BenchmarkCacheTest {
    private static final CudnnConvShape SHAPE = new CudnnConvShape(7, 3, 9, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 9, 9);
    private static final List<Candidate> TIMED = List.of(new Candidate(6, 0, 0.2f, 0, 1, 3), new Candidate(1, 0, 0.3f, 0, 1, 3));

    @Test
    void eachKeyIsTimedOnceAndTheRankingIsReused() {
        BenchmarkCache.Key key = new BenchmarkCache.Key(0, SHAPE, false, false);
        AtomicInteger timings = new AtomicInteger();
        BenchmarkCache.Result first = BenchmarkCache.get(key, () -> {
            timings.incrementAndGet();
            return TIMED;
        });
        BenchmarkCache.Result second = BenchmarkCache.get(new BenchmarkCache.Key(0, SHAPE, false, false), () -> {
            timings.incrementAndGet();
            return List.of();
        });
        assertTrue(first.timedNow());
        assertFalse(second.timedNow());
        assertEquals(TIMED, second.ranked());
        assertEquals(1, timings.get());
    }

    @Test
    void mathAndDeterminismSettingsAreSeparateEntries() {
        AtomicInteger timings = new AtomicInteger();
        for (boolean tf32 : new boolean[] {false, true}) {
            for (boolean det : new boolean[] {false, true}) {
                BenchmarkCache.get(new BenchmarkCache.Key(1, SHAPE, tf32, det), () -> {
                    timings.incrementAndGet();
                    return TIMED;
                });
            }
        }
        assertEquals(4, timings.get());
    }

    @Test
    void concurrentPlannersOfOneShapeTimeItOnce() throws Exception {
        BenchmarkCache.Key key = new BenchmarkCache.Key(2, SHAPE, false, false);
        AtomicInteger timings = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<BenchmarkCache.Result>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return BenchmarkCache.get(key, () -> {
                        timings.incrementAndGet();
                        return TIMED;
                    });
                }));
            }
            start.countDown();
            int timedNow = 0;
            for (Future<BenchmarkCache.Result> r : results) {
                BenchmarkCache.Result result = r.get(30, TimeUnit.SECONDS);
                assertEquals(TIMED, result.ranked());
                timedNow += result.timedNow() ? 1 : 0;
            }
            assertEquals(1, timings.get());
            assertEquals(1, timedNow);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailedTimingIsNotCached() {
        BenchmarkCache.Key key = new BenchmarkCache.Key(3, SHAPE, false, false);
        assertThrows(IllegalStateException.class, () -> BenchmarkCache.get(key, () -> {
            throw new IllegalStateException("no memory to time");
        }));
        assertTrue(BenchmarkCache.get(key, () -> TIMED).timedNow());
    }
}
