package dev.jconv.cpu;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Reusable float buffers for one plan, so a forward pass allocates nothing once warm. A buffer is taken by
 * one call and given back when it ends; calls running at the same time each get their own (a thread-local
 * would not do: a thread waiting on the pool must not share its buffer with work it helps run).
 */
final class ScratchPool {
    private final ConcurrentLinkedQueue<float[]> free = new ConcurrentLinkedQueue<>();

    /** A buffer of at least {@code length} floats, with arbitrary contents. */
    float[] take(int length) {
        float[] b = free.poll();
        return b != null && b.length >= length ? b : new float[length];
    }

    void give(float[] buffer) {
        free.offer(buffer);
    }

    void clear() {
        free.clear();
    }
}
