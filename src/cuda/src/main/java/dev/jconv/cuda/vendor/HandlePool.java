package dev.jconv.cuda.vendor;

import dev.jconv.cuda.CudaDevice;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Library handles (cuDNN, cuBLAS) of one device, lent to one caller at a time. A handle belongs to the device
 * (primary context) current when it was made and must not be used by two threads at once, so, like PyTorch,
 * a forward call borrows one, binds it to its own stream and gives it back. Handles live as long as the
 * process, like the primary context they belong to.
 *
 * @param <H> the library's handle type
 */
public class HandlePool<H> {
    private final CudaDevice device;
    private final Supplier<H> factory;
    private final ConcurrentLinkedDeque<H> idle = new ConcurrentLinkedDeque<>();
    private int created; // guarded by this

    /** {@code factory} makes a handle and is called with the device current; it checks its own status. */
    protected HandlePool(CudaDevice device, Supplier<H> factory) {
        this.device = device;
        this.factory = factory;
    }

    public CudaDevice device() {
        return device;
    }

    /**
     * Makes sure one handle exists (the availability probe: creating one is where a driver or GPU mismatch
     * shows). Every backend instance probes, so only the first probe of the device creates one.
     */
    public final synchronized void ensureOne() {
        if (created == 0) {
            idle.addFirst(create());
        }
    }

    /**
     * A handle for the caller's exclusive use until the lease is closed, after {@code bind} (called with the
     * device current) has set it up, e.g. bound it to the caller's stream. If binding fails the handle goes back.
     */
    public final Lease<H> lease(Consumer<H> bind) {
        H h = idle.pollFirst();
        if (h == null) {
            h = create();
        }
        try {
            device.makeCurrent();
            bind.accept(h);
        } catch (RuntimeException e) {
            idle.addFirst(h);
            throw e;
        }
        return new Lease<>(this, h);
    }

    private H create() {
        device.makeCurrent();
        H h = factory.get();
        synchronized (this) {
            created++;
        }
        return h;
    }

    /** One borrowed handle; closing gives it back (once, however often it is closed). */
    public static final class Lease<H> implements AutoCloseable {
        private final HandlePool<H> pool;
        private final H handle;
        private boolean returned;

        private Lease(HandlePool<H> pool, H handle) {
            this.pool = pool;
            this.handle = handle;
        }

        public H handle() {
            return handle;
        }

        @Override
        public void close() {
            if (!returned) {
                returned = true;
                pool.idle.addFirst(handle);
            }
        }
    }
}
