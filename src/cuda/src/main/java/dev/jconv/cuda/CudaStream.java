package dev.jconv.cuda;

import dev.jconv.cuda.internal.RawHandles;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
    /** Streams of other libraries jconv has queued work on, by device and raw handle (never destroyed by jconv). */
    private static final Map<List<Long>, CudaStream> EXTERNAL = new ConcurrentHashMap<>();

    private final CudaDevice device;
    private final CUstream stream;
    private final long handle;  // of stream
    private final boolean owned;
    private DeviceBuffer scratch;
    private PinnedHostBuffer staging;

    CudaStream(CudaDevice device) {
        this.device = device;
        this.stream = new CUstream();
        this.owned = true;
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        this.handle = RawHandles.handle(stream);
    }

    private CudaStream(CudaDevice device, long handle) {
        this.device = device;
        this.stream = RawHandles.stream(handle);
        this.handle = handle;
        this.owned = false;
    }

    /**
     * Another library's stream ({@code handle}: its raw {@code CUstream}, 0 for the legacy default stream) on
     * {@code device}, for queuing jconv's work on it. jconv never destroys it; the wrapper (and the scratch memory
     * it keeps for jconv's work) lives for the process, one per device and handle.
     */
    public static CudaStream external(CudaDevice device, long handle) {
        return EXTERNAL.computeIfAbsent(List.of((long) device.ordinal(), handle), k -> new CudaStream(device, handle));
    }

    public CudaDevice device() {
        return device;
    }

    /**
     * The raw {@code CUstream} handle (also the {@code cudaStream_t} of the CUDA runtime), to pass to another library
     * or to jconv's cuDNN and cuBLAS calls.
     */
    public long rawHandle() {
        ensureOpen();
        return handle;
    }

    /** The JCuda stream, for this package's driver calls (other packages go through {@link #rawHandle()}). */
    CUstream jcudaStream() {
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

    /**
     * Makes work queued on this stream from now on wait until {@code event} (recorded on any stream of the device)
     * completes ({@code cuStreamWaitEvent}); the host does not wait.
     */
    public void waitFor(CudaEvent event) {
        ensureOpen();
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuStreamWaitEvent(stream, event.jcudaEvent(), 0), "cuStreamWaitEvent");
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
            if (owned) {
                Cuda.check(JCudaDriver.cuStreamDestroy(stream), "cuStreamDestroy");
            }
        }
    }
}
