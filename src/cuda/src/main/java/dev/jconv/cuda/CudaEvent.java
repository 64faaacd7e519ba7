package dev.jconv.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA event: for timing work on a stream on the GPU's own clock, or (made {@link #forOrdering}) for making one
 * stream wait for a point in another's queue ({@link CudaStream#waitFor}).
 */
public final class CudaEvent extends NativeResource {
    private final CudaDevice device;
    private final CUevent event = new CUevent();

    /** An event that can time ({@link #millisSince}). */
    public CudaEvent(CudaDevice device) {
        this(device, 0);
    }

    private CudaEvent(CudaDevice device, int flags) {
        this.device = device;
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuEventCreate(event, flags), "cuEventCreate");
    }

    /** An event only for ordering streams: timing disabled, which makes recording and waiting cheaper. */
    public static CudaEvent forOrdering(CudaDevice device) {
        return new CudaEvent(device, CUevent_flags.CU_EVENT_DISABLE_TIMING);
    }

    /** Marks the point in {@code stream}'s queue this event completes at. */
    public void record(CudaStream stream) {
        ensureOpen();
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuEventRecord(event, stream.jcudaStream()), "cuEventRecord");
    }

    public void synchronize() {
        ensureOpen();
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuEventSynchronize(event), "cuEventSynchronize");
    }

    /** Milliseconds from {@code start} to this event, both recorded and this one completed. */
    public float millisSince(CudaEvent start) {
        ensureOpen();
        start.ensureOpen();
        device.makeCurrent();
        float[] ms = new float[1];
        Cuda.check(JCudaDriver.cuEventElapsedTime(ms, start.event, event), "cuEventElapsedTime");
        return ms[0];
    }

    /** The JCuda event, for this package's driver calls. */
    CUevent jcudaEvent() {
        ensureOpen();
        return event;
    }

    @Override
    protected String describe() {
        return "CudaEvent(device " + device.ordinal() + ")";
    }

    @Override
    protected void release() {
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuEventDestroy(event), "cuEventDestroy");
    }
}
