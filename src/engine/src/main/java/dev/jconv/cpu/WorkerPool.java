package dev.jconv.cpu;

import dev.jconv.ConvolutionInterruptedException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The threads the {@code cpu} backend computes on: one shared set of daemon worker threads per thread count, made on
 * first use (so a library user's JVM can still exit), never a thread per call.
 *
 * <p>{@link #forEach} hands out task indices dynamically: each thread taking part takes the next index until none is
 * left, so uneven tasks (edge tiles, a short last chunk) still balance. The calling thread is one of the workers
 * (the pool holds {@code threads - 1}): it is awake already, so a call leaves no thread idle while the others work.
 *
 * <p>Workers spin for {@link #SPIN_NANOS} after their last task before they park. Why: waking a parked thread
 * measured 50-150 microseconds on the 2-core AMD EPYC VMs (a {@code forEach} of two 20-microsecond tasks took 51-70
 * microseconds, of two 100-microsecond tasks 193-216: the caller had run both before the helper woke), which is
 * more than a small layer takes, and a forward pass makes several calls in a row. OpenMP runtimes do the same
 * (GNU libgomp spins before it sleeps; Intel's KMP_BLOCKTIME defaults to 200 ms). The spin ends, and the worker
 * parks, after that long without work, so an idle process costs no CPU. {@value #SPIN_PROPERTY} sets it
 * (microseconds; 0 parks at once).
 */
final class WorkerPool {
    static final String SPIN_PROPERTY = "jconv.cpu.spinMicros";
    static final long SPIN_NANOS = Math.max(0, Long.getLong(SPIN_PROPERTY, 500)) * 1000;
    private static final Map<Integer, WorkerPool> POOLS = new ConcurrentHashMap<>();
    /** The call whose task this thread is running, for {@link #stopRequested()}. */
    private static final ThreadLocal<Call> CURRENT = new ThreadLocal<>();

    private final int threads;
    private final Worker[] workers;
    /** Calls wanting help: one entry per helper a call asks for. */
    private final ConcurrentLinkedQueue<Call> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger running = new AtomicInteger();

    private WorkerPool(int threads) {
        this.threads = threads;
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(threads, i);
            workers[i].thread.start();
        }
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
        // Before any task is handed out: helpers do not look at the caller's flag, and they may take every task
        // before the caller's own loop checks it (a flaky CancellationTest showed a call interrupted beforehand
        // completing).
        ConvolutionInterruptedException.throwIfInterrupted();
        int helpers = Math.min(threads, count) - 1;
        if (helpers <= 0) {
            for (int i = 0; i < count; i++) {
                ConvolutionInterruptedException.throwIfInterrupted();
                task.accept(i);
            }
            ConvolutionInterruptedException.throwIfInterrupted(); // the last task may have stopped early
            return;
        }
        Call call = new Call(count, task);
        for (int h = 0; h < helpers; h++) {
            pending.add(call);
        }
        for (Worker w : workers) {
            if (w.parked) {
                LockSupport.unpark(w.thread);
            }
        }
        Throwable failure = null;
        try {
            call.drainChecking();
        } catch (RuntimeException | Error e) {
            failure = e;
            call.stop = true;
        }
        boolean interrupted = call.awaitHelpers();
        while (pending.remove(call)) {
            // entries no worker took: the call is over
        }
        failure = merge(failure, call.helperFailure);
        if (interrupted) {
            Thread.currentThread().interrupt(); // the wait saw it; the caller must still see it
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
        if (next != null && next != first) {
            first.addSuppressed(next);
        }
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

    /** One {@link #forEach} call: the next task index, whether to stop taking tasks, the helpers inside it. */
    private final class Call {
        private final AtomicInteger next = new AtomicInteger();
        /** Helpers that joined and have not left; a helper joins only while {@link #closed} is false. */
        private final AtomicInteger helpers = new AtomicInteger();
        private final Thread caller = Thread.currentThread();
        private final int count;
        private final IntConsumer task;
        private volatile boolean stop;
        /** Set by the caller once it has no task left to take: from then on no helper joins. */
        private volatile boolean closed;
        private volatile boolean callerWaiting;
        private Throwable helperFailure;

        Call(int count, IntConsumer task) {
            this.count = count;
            this.task = task;
        }

        /** A helper's visit: takes tasks until none is left or the call stops; records a failure for the caller. */
        void help() {
            helpers.incrementAndGet();
            try {
                if (closed) {
                    return; // the caller is done taking tasks: nothing left to help with
                }
                for (int i = next(); i < count; i = next()) {
                    run(i);
                }
            } catch (RuntimeException | Error e) {
                synchronized (this) {
                    helperFailure = merge(helperFailure, e);
                }
            } finally {
                if (helpers.decrementAndGet() == 0 && callerWaiting) {
                    LockSupport.unpark(caller);
                }
            }
        }

        /** The caller's loop: as {@link #help}, and stops the call when the caller is interrupted. */
        void drainChecking() {
            for (int i = next(); i < count; i = next()) {
                if (Thread.currentThread().isInterrupted()) {
                    stop = true;
                    ConvolutionInterruptedException.throwIfInterrupted();
                }
                run(i);
            }
        }

        /**
         * The caller, after its own loop: closes the call and waits until every helper inside it has left, spinning
         * first (helpers usually finish within microseconds of the caller), then parking. An interrupt meanwhile
         * stops the call's remaining work; returns whether one came.
         */
        boolean awaitHelpers() {
            closed = true;
            boolean interrupted = false;
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (helpers.get() != 0) {
                if (Thread.interrupted()) {
                    interrupted = true;
                    stop = true;
                }
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                    continue;
                }
                callerWaiting = true;
                if (helpers.get() != 0) {
                    LockSupport.parkNanos(this, 1_000_000);
                }
                callerWaiting = false;
            }
            synchronized (this) {
                return interrupted; // and makes helperFailure visible
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

    /** A pool thread: takes calls from {@link #pending}, spins {@link #SPIN_NANOS} without one, then parks. */
    private final class Worker implements Runnable {
        final Thread thread;
        volatile boolean parked;

        Worker(int poolThreads, int index) {
            thread = new Thread(this, "jconv-cpu-" + poolThreads + "-" + index);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (true) {
                Call call = pending.poll();
                if (call != null) {
                    call.help();
                    idleSince = System.nanoTime();
                    continue;
                }
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                if (pending.isEmpty()) {
                    LockSupport.park(this);
                }
                parked = false;
                Thread.interrupted(); // a pool thread has no caller to report an interrupt to
                idleSince = System.nanoTime();
            }
        }
    }
}
