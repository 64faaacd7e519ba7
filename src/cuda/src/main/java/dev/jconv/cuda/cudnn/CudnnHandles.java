package dev.jconv.cuda.cudnn;

import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaStream;
import dev.jconv.cuda.internal.RawHandles;
import dev.jconv.cuda.vendor.HandlePool;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnHandle;

/** cuDNN handles of one device ({@link HandlePool}), bound to the borrower's stream ({@code cudnnSetStream}). */
final class CudnnHandles extends HandlePool<cudnnHandle> {
    private static final Map<Integer, CudnnHandles> POOLS = new ConcurrentHashMap<>();

    private CudnnHandles(CudaDevice device) {
        super(device, () -> {
            cudnnHandle h = new cudnnHandle();
            Cudnn.check(JCudnn.cudnnCreate(h), "cudnnCreate(device " + device.ordinal() + ")");
            return h;
        });
    }

    static CudnnHandles of(CudaDevice device) {
        return POOLS.computeIfAbsent(device.ordinal(), d -> new CudnnHandles(device));
    }

    /** A handle bound to {@code stream}, for the caller's exclusive use until the lease is closed. */
    Lease<cudnnHandle> lease(CudaStream stream) {
        return lease(h -> Cudnn.check(JCudnn.cudnnSetStream(h, RawHandles.runtimeStream(stream.rawHandle())), "cudnnSetStream"));
    }
}
