package dev.jconv.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;

/** A CUDA event, for timing work on a stream on the GPU's own clock. */
public final class CudaEvent extends NativeResource {
    private final CudaDevice device;
    private final CUevent event = new CUevent();

    public CudaEvent(CudaDevice device) {
        this.device = device;
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuEventCreate(event, 0), "cuEventCreate");  // 0: timing enabled
    }

    /** Marks the point in {@code stream}'s queue this event completes at. */
    public void record(CudaStream stream) {
        ensureOpen();
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuEventRecord(event, stream.handle()), "cuEventRecord");
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
