package dev.jconv.cuda.vendor;

import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaEvent;
import dev.jconv.cuda.CudaStream;
import dev.jconv.cuda.DeviceBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A plan's workspace: device buffers of one size, allocated when the plan is made and reused by every
 * forward call. Calls on different streams may overlap, so each buffer carries an event recorded on the
 * stream of its last use, and the next user's stream waits for it ({@code cuStreamWaitEvent}) before
 * touching the buffer: reuse is ordered on the GPU, without blocking the host. One buffer serves a
 * single caller; concurrent callers get another one each, and when the device has no memory for it
 * they wait for a buffer to come back instead of failing.
 */
public final class WorkspacePool implements AutoCloseable {
    private final CudaDevice device;
    private final long bytes;
    private final ArrayDeque<Entry> idle = new ArrayDeque<>();
    private final List<Entry> all = new ArrayList<>();
    private int leased;
    private boolean closed;

    private static final class Entry {
        final DeviceBuffer buffer;
        final CudaEvent lastUse;
        boolean recorded;

        Entry(DeviceBuffer buffer, CudaEvent lastUse) {
            this.buffer = buffer;
            this.lastUse = lastUse;
        }
    }

    /** {@code first} is the buffer allocated while planning (null when {@code bytes} is 0); the pool owns it. */
    public WorkspacePool(CudaDevice device, long bytes, DeviceBuffer first) {
        this.device = device;
        this.bytes = bytes;
        if (bytes > 0) {
            adopt(first);
        }
    }

    public long bytes() {
        return bytes;
    }

    /** Buffers allocated so far (1 for a plan used by one thread at a time). */
    public synchronized int bufferCount() {
        return all.size();
    }

    /** A workspace for work queued on {@code stream}; give it back with {@link Lease#close()} after queuing that work. */
    public Lease lease(CudaStream stream) {
        if (bytes == 0) {
            return new Lease(null, stream);
        }
        Entry e = take();
        if (e.recorded) {
            stream.waitFor(e.lastUse);
        }
        return new Lease(e, stream);
    }

    private Entry take() {
        synchronized (this) {
            ensureOpen();
            Entry e = idle.pollFirst();
            if (e != null) {
                leased++;
                return e;
            }
        }
        DeviceBuffer extra = null;
        try {
            extra = device.allocate(bytes);
        } catch (RuntimeException oom) {
            if (!DeviceMemory.isOutOfMemory(oom)) {
                throw oom;
            }
        }
        synchronized (this) {
            if (extra != null) {
                Entry e = adopt(extra);
                leased++;
                return e;
            }
            // no memory for another one: wait for a buffer in use to come back
            while (idle.isEmpty()) {
                ensureOpen();
                try {
                    wait();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a cuDNN/cuBLAS workspace", ie);
                }
            }
            leased++;
            return idle.pollFirst();
        }
    }

    private synchronized Entry adopt(DeviceBuffer buffer) {
        Entry e;
        try {
            e = new Entry(buffer, CudaEvent.forOrdering(device));
        } catch (RuntimeException ex) {
            buffer.close();
            throw ex;
        }
        all.add(e);
        return e;
    }

    private synchronized void giveBack(Entry e, CudaStream stream) {
        try {
            e.lastUse.record(stream);
            e.recorded = true;
        } finally {
            leased--;
            idle.addFirst(e);
            notifyAll();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("workspace of " + DeviceMemory.bytes(bytes) + " is closed");
        }
    }

    /** Frees every buffer once its last queued use has finished. Leases still out must have been given back. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        notifyAll();
        RuntimeException first = null;
        for (Entry e : all) {
            try {
                if (e.recorded) {
                    e.lastUse.synchronize();
                }
                e.lastUse.close();
            } catch (RuntimeException ex) {
                first = first == null ? ex : first;
            } finally {
                e.buffer.close();
            }
        }
        all.clear();
        idle.clear();
        if (first != null) {
            throw first;
        }
    }

    /** One workspace in use by one call. */
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private final CudaStream stream;
        private boolean returned;

        private Lease(Entry entry, CudaStream stream) {
            this.entry = entry;
            this.stream = stream;
        }

        /** The workspace's raw device address (0, the null pointer, for a zero-byte workspace). */
        public long address() {
            return entry == null ? 0 : entry.buffer.address();
        }

        public long bytes() {
            return bytes;
        }

        /** Marks the end of this call's queued use on its stream and returns the buffer to the pool. */
        @Override
        public void close() {
            if (!returned && entry != null) {
                returned = true;
                giveBack(entry, stream);
            }
        }
    }
}
