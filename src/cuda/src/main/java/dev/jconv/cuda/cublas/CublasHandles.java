package dev.jconv.cuda.cublas;

import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaStream;
import dev.jconv.cuda.internal.RawHandles;
import dev.jconv.cuda.vendor.HandlePool;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;

/**
 * cuBLAS handles of one device ({@link HandlePool}), bound to the borrower's stream ({@code cublasSetStream})
 * and math mode.
 */
final class CublasHandles extends HandlePool<cublasHandle> {
    private static final Map<Integer, CublasHandles> POOLS = new ConcurrentHashMap<>();

    private CublasHandles(CudaDevice device) {
        super(device, () -> {
            cublasHandle h = new cublasHandle();
            Cublas.check(JCublas2.cublasCreate(h), "cublasCreate(device " + device.ordinal() + ")");
            return h;
        });
    }

    static CublasHandles of(CudaDevice device) {
        return POOLS.computeIfAbsent(device.ordinal(), d -> new CublasHandles(device));
    }

    /** cuBLAS's version, from a pooled handle (made now if none exists: the availability probe). */
    int warmUp() {
        int[] version = new int[1];
        lease(h -> Cublas.check(JCublas2.cublasGetVersion(h, version), "cublasGetVersion")).close();
        return version[0];
    }

    Lease<cublasHandle> lease(CudaStream stream, int mathMode) {
        return lease(h -> {
            Cublas.check(JCublas2.cublasSetStream(h, RawHandles.runtimeStream(stream.rawHandle())), "cublasSetStream");
            Cublas.check(JCublas2.cublasSetMathMode(h, mathMode), "cublasSetMathMode(" + mathMode + ")");
        });
    }
}
