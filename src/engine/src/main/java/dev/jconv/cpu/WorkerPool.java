package dev.jconv.cpu;

import dev.jconv.ConvolutionInterruptedException;
import java.util.Map;
import java.util.concurrent.ExecutionException;
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
    /** The call whose task this thread is running, for {@link #stopRequested()}. */
    private static final ThreadLocal<Call> CURRENT = new ThreadLocal<>();

    private final int threads;
    private final ForkJoinPool pool;
    private final AtomicInteger running = new AtomicInteger();

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
     *
     * <p>Cancellation: the calling thread checks its interrupt flag before each task it takes, and long tasks check
     * {@link #stopRequested()} between pieces of their work. Once the flag is set,
     * no further task of this call starts on any thread (helpers see the call's stop flag), the caller waits only
     * for the tasks already running, and then
     * {@link ConvolutionInterruptedException} is thrown with the flag still set.
     */
    void forEach(int count, IntConsumer task) {
        int workers = Math.min(threads, count);
        if (workers <= 1) {
            for (int i = 0; i < count; i++) {
                ConvolutionInterruptedException.throwIfInterrupted();
                task.accept(i);
            }
            ConvolutionInterruptedException.throwIfInterrupted(); // the last task may have stopped early
            return;
        }
        Call call = new Call(count, task);
        ForkJoinTask<?>[] helpers = new ForkJoinTask<?>[workers - 1];
        for (int w = 0; w < helpers.length; w++) {
            helpers[w] = pool.submit(call::drain);
        }
        Throwable failure = null;
        try {
            call.drainChecking();
        } catch (RuntimeException | Error e) {
            failure = e;
            call.stop = true;
        }
        // Helpers are never cancelled: ForkJoinTask.cancel also "succeeds" on a running task, and joining it would
        // then return while it still works. A helper that starts after the call stopped finds no task and returns.
        boolean interrupted = false;
        for (ForkJoinTask<?> helper : helpers) {
            try {
                if (!interrupted) {
                    try {
                        helper.get(); // interruptible: an interrupt while waiting stops the helpers' remaining work
                        continue;
                    } catch (InterruptedException e) {
                        interrupted = true;
                        call.stop = true;
                    }
                }
                helper.join();
            } catch (ExecutionException e) {
                failure = merge(failure, e.getCause());
            } catch (RuntimeException | Error e) {
                failure = merge(failure, e);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt(); // get() cleared it; the caller must still see it
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (call.stop) {
            ConvolutionInterruptedException.throwIfInterrupted(); // a task saw the interrupt and cut its work short
        }
    }

    private static Throwable merge(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    /**
     * For long tasks to call between pieces of their work: whether the {@link #forEach} call running this task has
     * been stopped (its caller interrupted, or another task failed), in which case the task should return at once.
     * Outside a pool task, whether the current thread is interrupted.
     */
    static boolean stopRequested() {
        Call call = CURRENT.get();
        if (call == null) {
            return Thread.currentThread().isInterrupted();
        }
        if (call.stop) {
            return true;
        }
        if (call.caller == Thread.currentThread() && call.caller.isInterrupted()) {
            call.stop = true;
            return true;
        }
        return false;
    }

    /** Tasks of this pool's calls running right now on any thread (0 when no call is in progress). */
    int runningTasks() {
        return running.get();
    }

    /** One {@link #forEach} call: the next task index, and whether to stop taking tasks. */
    private final class Call {
        private final AtomicInteger next = new AtomicInteger();
        private final Thread caller = Thread.currentThread();
        private final int count;
        private final IntConsumer task;
        private volatile boolean stop;

        Call(int count, IntConsumer task) {
            this.count = count;
            this.task = task;
        }

        /** A helper's loop: takes tasks until none is left or the call stops. */
        void drain() {
            for (int i = next(); i < count; i = next()) {
                run(i);
            }
        }

        /** The caller's loop: as {@link #drain}, and stops the call when the caller is interrupted. */
        void drainChecking() {
            for (int i = next(); i < count; i = next()) {
                if (Thread.currentThread().isInterrupted()) {
                    stop = true;
                    ConvolutionInterruptedException.throwIfInterrupted();
                }
                run(i);
            }
        }

        private int next() {
            return stop ? count : next.getAndIncrement();
        }

        private void run(int i) {
            running.incrementAndGet();
            Call outer = CURRENT.get();
            CURRENT.set(this);
            try {
                task.accept(i);
            } catch (RuntimeException | Error e) {
                stop = true; // the call fails: its other tasks need not run
                throw e;
            } finally {
                CURRENT.set(outer);
                running.decrementAndGet();
            }
        }
    }

    private static ForkJoinWorkerThread daemon(ForkJoinPool pool) {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setDaemon(true);
        t.setName("jconv-cpu-" + t.getPoolIndex());
        return t;
    }
}
