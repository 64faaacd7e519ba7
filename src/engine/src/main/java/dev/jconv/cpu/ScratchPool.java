package dev.jconv.cpu;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reusable float buffers for one plan, so a forward pass allocates nothing once warm. A buffer is taken by
 * one call and given back when it ends; calls running at the same time each get their own (a thread-local
 * would not do: a thread waiting on the pool must not share its buffer with work it helps run).
 *
 * <p>At most {@code maxIdle} buffers are kept between calls: a burst of 16 concurrent callers makes 16 buffers,
 * and all but {@code maxIdle} of them are dropped as the burst ends, so a plan's memory returns to its steady
 * size instead of staying at its peak.
 */
final class ScratchPool {
    private final ConcurrentLinkedQueue<float[]> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idle = new AtomicInteger();
    private final AtomicLong idleBytes = new AtomicLong();
    private final int maxIdle;

    ScratchPool(int maxIdle) {
        if (maxIdle < 1) {
            throw new IllegalArgumentException("a scratch pool keeps at least one buffer, asked for " + maxIdle);
        }
        this.maxIdle = maxIdle;
    }

    /** A buffer of at least {@code length} floats, with arbitrary contents. */
    float[] take(int length) {
        float[] b = free.poll();
        if (b != null) {
            idle.decrementAndGet();
            idleBytes.addAndGet(-(long) b.length * Float.BYTES);
        }
        return b != null && b.length >= length ? b : new float[length];
    }

    /** Keeps {@code buffer} for a later call, unless {@code maxIdle} buffers are kept already. */
    void give(float[] buffer) {
        if (idle.incrementAndGet() > maxIdle) {
            idle.decrementAndGet();
            return;
        }
        idleBytes.addAndGet((long) buffer.length * Float.BYTES);
        free.offer(buffer);
    }

    /** Bytes of the buffers kept between calls. */
    long idleBytes() {
        return idleBytes.get();
    }

    /** Buffers kept between calls. */
    int idleCount() {
        return idle.get();
    }

    void clear() {
        for (float[] b = free.poll(); b != null; b = free.poll()) {
            idle.decrementAndGet();
            idleBytes.addAndGet(-(long) b.length * Float.BYTES);
        }
    }
}
