package dev.jconv.cuda;

import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA stream plus the reusable memory one caller needs for its work on it: device scratch and
 * pinned host staging that grow to the largest request and are kept. A stream is used by one thread
 * at a time (borrow one from {@link StreamPool}); work queued on it runs in order, so scratch can be
 * reused by the next call without synchronising.
 *
 * <p>Streams are created {@code CU_STREAM_NON_BLOCKING}: they do not synchronise with the legacy default
 * stream, so work on different streams overlaps. jconv queues nothing on the legacy stream: every copy
 * of {@link DeviceBuffer} is staged through a stream's pinned buffer.
 */
public final class CudaStream extends NativeResource {
    private final CudaDevice device;
    private final CUstream stream = new CUstream();
    private DeviceBuffer scratch;
    private PinnedHostBuffer staging;

    CudaStream(CudaDevice device) {
        this.device = device;
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    }

    public CudaDevice device() {
        return device;
    }

    public CUstream handle() {
        ensureOpen();
        return stream;
    }

    /** The flags the stream was created with ({@code cuStreamGetFlags}), e.g. {@code CU_STREAM_NON_BLOCKING}. */
    public int flags() {
        ensureOpen();
        device.makeCurrent();
        int[] flags = new int[1];
        Cuda.check(JCudaDriver.cuStreamGetFlags(stream, flags), "cuStreamGetFlags");
        return flags[0];
    }

    /** Blocks until all work queued on this stream has finished; a kernel's execution error surfaces here. */
    public void synchronize() {
        ensureOpen();
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    /**
     * Device memory of at least {@code bytes} for work queued on this stream, valid until the next call
     * that needs more (growing waits for queued work, then reallocates). Contents are undefined.
     */
    public DeviceBuffer scratch(long bytes) {
        ensureOpen();
        if (scratch == null || scratch.byteSize() < bytes) {
            if (scratch != null) {
                synchronize();
                scratch.close();
                scratch = null;
            }
            scratch = device.allocate(bytes);
        }
        return scratch;
    }

    /** Pinned host memory of at least {@code bytes}, like {@link #scratch}. */
    public PinnedHostBuffer staging(long bytes) {
        ensureOpen();
        if (staging == null || staging.byteSize() < bytes) {
            if (staging != null) {
                synchronize();
                staging.close();
                staging = null;
            }
            staging = device.allocatePinned(bytes);
        }
        return staging;
    }

    @Override
    protected String describe() {
        return "CudaStream(device " + device.ordinal() + ")";
    }

    @Override
    protected void release() {
        device.makeCurrent();
        try {
            Cuda.check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
        } finally {
            if (scratch != null) {
                scratch.close();
            }
            if (staging != null) {
                staging.close();
            }
            Cuda.check(JCudaDriver.cuStreamDestroy(stream), "cuStreamDestroy");
        }
    }
}
