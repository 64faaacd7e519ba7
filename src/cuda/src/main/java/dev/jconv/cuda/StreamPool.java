package dev.jconv.cuda;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Streams that request threads borrow for one operation and give back, so many threads can run work
 * on one device at the same time without a stream (and its scratch memory) per thread ever created.
 * The pool grows to the largest number of concurrent borrowers and keeps its streams (most recently
 * returned first, so scratch stays warm) until {@link #trim()}.
 *
 * <pre>{@code
 * try (StreamPool.Lease lease = device.streams().lease()) {
 *     CudaStream s = lease.stream();
 *     ... queue work on s ...
 *     s.synchronize();
 * }
 * }</pre>
 */
public final class StreamPool {
    private final CudaDevice device;
    private final ConcurrentLinkedDeque<CudaStream> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger leased = new AtomicInteger();

    StreamPool(CudaDevice device) {
        this.device = device;
    }

    /** A stream for the calling thread's exclusive use until the lease is closed. */
    public Lease lease() {
        CudaStream s = idle.pollFirst();
        if (s == null) {
            s = device.createStream();
        }
        leased.incrementAndGet();
        return new Lease(s);
    }

    /** Streams in use right now. */
    public int leasedCount() {
        return leased.get();
    }

    public int idleCount() {
        return idle.size();
    }

    /** Destroys the idle streams and frees their scratch and staging memory (after their queued work). */
    public void trim() {
        for (CudaStream s = idle.pollFirst(); s != null; s = idle.pollFirst()) {
            s.close();
        }
    }

    /** One borrowed stream; closing gives it back (once). */
    public final class Lease implements AutoCloseable {
        private final CudaStream stream;
        private final AtomicBoolean returned = new AtomicBoolean();

        private Lease(CudaStream stream) {
            this.stream = stream;
        }

        public CudaStream stream() {
            if (returned.get()) {
                throw new IllegalStateException("this stream lease was already given back");
            }
            return stream;
        }

        @Override
        public void close() {
            if (returned.compareAndSet(false, true)) {
                leased.decrementAndGet();
                idle.addFirst(stream);
            }
        }
    }
}
