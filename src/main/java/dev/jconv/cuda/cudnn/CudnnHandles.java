package dev.jconv.cuda.cudnn;

import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnHandle;
import jcuda.runtime.cudaStream_t;

/**
 * cuDNN handles of one device, lent to one caller at a time. A cuDNN handle belongs to the device (the
 * primary context) that was current when it was made and must not be used by two threads at once, so
 * like PyTorch jconv keeps a pool per device: a forward call borrows a handle, binds it to its own
 * stream ({@code cudnnSetStream}) and gives it back. Handles live as long as the process, like the
 * primary context they belong to.
 */
final class CudnnHandles {
    private static final Map<Integer, CudnnHandles> POOLS = new ConcurrentHashMap<>();

    private final CudaDevice device;
    private final ConcurrentLinkedDeque<cudnnHandle> idle = new ConcurrentLinkedDeque<>();
    private volatile int created;

    private CudnnHandles(CudaDevice device) {
        this.device = device;
    }

    static CudnnHandles of(CudaDevice device) {
        return POOLS.computeIfAbsent(device.ordinal(), d -> new CudnnHandles(device));
    }

    /**
     * Makes sure one handle exists (the availability probe: cudnnCreate is where a driver or GPU mismatch
     * shows). Every backend instance probes, so only the first probe of the device creates one.
     */
    synchronized void warmUp() {
        if (created == 0) {
            idle.addFirst(create());
        }
    }

    /** A handle bound to {@code stream}, for the caller's exclusive use until the lease is closed. */
    Lease lease(CudaStream stream) {
        cudnnHandle h = idle.pollFirst();
        if (h == null) {
            h = create();
        }
        try {
            device.makeCurrent();
            Cudnn.check(JCudnn.cudnnSetStream(h, new cudaStream_t(stream.handle())), "cudnnSetStream");
        } catch (RuntimeException e) {
            idle.addFirst(h);
            throw e;
        }
        return new Lease(h);
    }

    private cudnnHandle create() {
        device.makeCurrent();
        cudnnHandle h = new cudnnHandle();
        Cudnn.check(JCudnn.cudnnCreate(h), "cudnnCreate(device " + device.ordinal() + ")");
        synchronized (this) {
            created++;
        }
        return h;
    }

    final class Lease implements AutoCloseable {
        private final cudnnHandle handle;
        private boolean returned;

        private Lease(cudnnHandle handle) {
            this.handle = handle;
        }

        cudnnHandle handle() {
            return handle;
        }

        @Override
        public void close() {
            if (!returned) {
                returned = true;
                idle.addFirst(handle);
            }
        }
    }
}
