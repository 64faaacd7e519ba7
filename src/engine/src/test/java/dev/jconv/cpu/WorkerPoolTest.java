package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WorkerPoolTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void everyTaskRunsExactlyOnceAndTheCallerHelps(int threads) {
        WorkerPool pool = WorkerPool.of(threads);
        assertSame(pool, WorkerPool.of(threads), "one shared pool per thread count");
        for (int count : new int[] {0, 1, 2, 7, 100}) {
            AtomicIntegerArray runs = new AtomicIntegerArray(count);
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            pool.forEach(count, i -> {
                runs.incrementAndGet(i);
                seen.add(Thread.currentThread());
            });
            for (int i = 0; i < count; i++) {
                assertEquals(1, runs.get(i), "task " + i + " of " + count);
            }
            assertTrue(seen.size() <= threads, seen.toString());
            for (Thread t : seen) {
                assertTrue(t == Thread.currentThread() || t.isDaemon(), "pool threads are daemons: " + t);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void aFailingTaskFailsTheCallAfterTheOthersFinish(int threads) {
        WorkerPool pool = WorkerPool.of(threads);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.forEach(50, i -> {
            if (i == 17) {
                throw new IllegalStateException("task 17 failed");
            }
        }));
        assertTrue(e.getMessage().contains("task 17 failed"), e.getMessage());
    }
}
