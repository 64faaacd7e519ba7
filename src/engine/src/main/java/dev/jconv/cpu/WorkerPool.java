package dev.jconv.cpu;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The threads the {@code cpu} backend computes on: one shared fork-join pool per thread count, made on
 * first use, of daemon threads (so a library user's JVM can still exit), never a thread per call.
 *
 * <p>{@link #forEach} hands out task indices dynamically: each of the {@code threads} workers takes the
 * next index until none is left, so uneven tasks (edge tiles, a short last chunk) still balance. The calling
 * thread is one of the workers (the pool holds {@code threads - 1}): it is awake already, so a call waits for one
 * fewer thread to be unparked and leaves no thread idle while the others work.
 */
final class WorkerPool {
    private static final Map<Integer, WorkerPool> POOLS = new ConcurrentHashMap<>();

    private final int threads;
    private final ForkJoinPool pool;

    private WorkerPool(int threads) {
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads - 1, WorkerPool::daemon, null, false);
    }

    /** The shared pool with that many threads. */
    static WorkerPool of(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        return POOLS.computeIfAbsent(threads, WorkerPool::new);
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code task.accept(i)} for every {@code i} in {@code [0, count)}, spread over the pool, and
     * returns when all are done. Runs inline when one thread or one task is enough. An exception in a
     * task is rethrown here.
     */
    void forEach(int count, IntConsumer task) {
        int workers = Math.min(threads, count);
        if (workers <= 1) {
            for (int i = 0; i < count; i++) {
                task.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        ForkJoinTask<?>[] helpers = new ForkJoinTask<?>[workers - 1];
        for (int w = 0; w < helpers.length; w++) {
            helpers[w] = pool.submit(() -> drain(next, count, task));
        }
        Throwable failure = null;
        try {
            drain(next, count, task);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (ForkJoinTask<?> helper : helpers) {
            try {
                helper.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    private static void drain(AtomicInteger next, int count, IntConsumer task) {
        for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
            task.accept(i);
        }
    }

    private static ForkJoinWorkerThread daemon(ForkJoinPool pool) {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setDaemon(true);
        t.setName("jconv-cpu-" + t.getPoolIndex());
        return t;
    }
}
