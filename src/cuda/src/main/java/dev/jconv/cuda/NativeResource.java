package dev.jconv.cuda;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Something that owns native CUDA state (memory, a stream, a module). Closing releases it exactly
 * once, however often {@link #close()} is called; using it afterwards throws
 * {@link IllegalStateException} naming what was closed. Closing while another thread still uses the
 * resource is the caller's error (as with any native handle); the check is a guard, not a lock.
 */
public abstract class NativeResource implements AutoCloseable {
    private final AtomicBoolean closed = new AtomicBoolean();

    /** What this is, for messages, e.g. {@code "DeviceBuffer(4096 bytes on device 0)"}. */
    protected abstract String describe();

    /** Frees the native state; called once. */
    protected abstract void release();

    public final boolean isClosed() {
        return closed.get();
    }

    /** Throws if closed; call at the start of every operation that touches the native state. */
    protected final void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException(describe() + " is closed and cannot be used any more");
        }
    }

    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            release();
        }
    }

    @Override
    public String toString() {
        return describe() + (isClosed() ? " (closed)" : "");
    }
}
