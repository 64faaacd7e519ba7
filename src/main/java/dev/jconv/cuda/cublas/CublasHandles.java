package dev.jconv.cuda.cublas;

import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.runtime.cudaStream_t;

/**
 * cuBLAS handles of one device, lent to one caller at a time and bound to its stream
 * ({@code cublasSetStream}) and math mode, like the cuDNN handle pool: a handle belongs to the context
 * current when it was made and must not be shared by threads at the same time.
 */
final class CublasHandles {
    private static final Map<Integer, CublasHandles> POOLS = new ConcurrentHashMap<>();

    private final CudaDevice device;
    private final ConcurrentLinkedDeque<cublasHandle> idle = new ConcurrentLinkedDeque<>();

    private CublasHandles(CudaDevice device) {
        this.device = device;
    }

    static CublasHandles of(CudaDevice device) {
        return POOLS.computeIfAbsent(device.ordinal(), d -> new CublasHandles(device));
    }

    /** cuBLAS's version, from a pooled handle (made now if none exists: the availability probe). */
    int warmUp() {
        cublasHandle h = idle.pollFirst();
        if (h == null) {
            h = create();
        }
        try {
            device.makeCurrent();
            int[] version = new int[1];
            Cublas.check(JCublas2.cublasGetVersion(h, version), "cublasGetVersion");
            return version[0];
        } finally {
            idle.addFirst(h);
        }
    }

    Lease lease(CudaStream stream, int mathMode) {
        cublasHandle h = idle.pollFirst();
        if (h == null) {
            h = create();
        }
        try {
            device.makeCurrent();
            Cublas.check(JCublas2.cublasSetStream(h, new cudaStream_t(stream.handle())), "cublasSetStream");
            Cublas.check(JCublas2.cublasSetMathMode(h, mathMode), "cublasSetMathMode(" + mathMode + ")");
        } catch (RuntimeException e) {
            idle.addFirst(h);
            throw e;
        }
        return new Lease(h);
    }

    private cublasHandle create() {
        device.makeCurrent();
        cublasHandle h = new cublasHandle();
        Cublas.check(JCublas2.cublasCreate(h), "cublasCreate(device " + device.ordinal() + ")");
        return h;
    }

    final class Lease implements AutoCloseable {
        private final cublasHandle handle;
        private boolean returned;

        private Lease(cublasHandle handle) {
            this.handle = handle;
        }

        cublasHandle handle() {
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
