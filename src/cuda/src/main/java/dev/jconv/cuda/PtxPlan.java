package dev.jconv.cuda;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvolutionInterruptedException;
import dev.jconv.PostOp;
import dev.jconv.cuda.vendor.HostStaging;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@code cuda-ptx} plan for one geometry: the kernel and launch configuration chosen once by
 * {@link LaunchPlanner}, and the device tap table the implicit GEMM reads. Forward calls make no
 * decisions and allocate nothing after the first call on a stream; any number of threads may call
 * them at once (each borrows its own stream).
 */
final class PtxPlan implements DeviceConvPlan {
    private final ConvGeometry geometry;
    private final CudaDevice device;
    private final ConvLaunch launch;  // null when the output is empty
    private final CudaKernel kernel;
    private final DeviceBuffer taps;   // null when the kernel needs none
    private final AtomicBoolean closed = new AtomicBoolean();

    PtxPlan(ConvGeometry geometry, CudaDevice device, ConvLaunch launch, CudaKernel kernel, DeviceBuffer taps) {
        this.geometry = geometry;
        this.device = device;
        this.launch = launch;
        this.kernel = kernel;
        this.taps = taps;
    }

    @Override
    public ConvGeometry geometry() {
        return geometry;
    }

    @Override
    public CudaDevice device() {
        return device;
    }

    /** The chosen launch, or null for an empty output. */
    ConvLaunch launch() {
        return launch;
    }

    @Override
    public String describe() {
        return launch == null ? "empty output, nothing to launch" : launch.describe() + " on " + device.describe();
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        forward(input, weight, bias, output, false);
    }

    /** Host arrays in, host array out, with ReLU in the kernels' epilogue when {@code fuseRelu}. */
    private void forward(float[] input, float[] weight, float[] bias, float[] output, boolean fuseRelu) {
        ensureOpen();
        HostStaging.forward(PtxBackend.NAME, geometry, device, input, weight, bias, output, 0, "no temporary",
                (in, w, b, out, temp, stream) -> run(in, w, b, out, stream, fuseRelu));
    }

    /**
     * This plan with {@code postOp} in the kernels' epilogue (their {@code fuse_relu} flag): a view sharing the
     * launch and tap table; closing it closes nothing (the backend's lease owns the plan).
     */
    DeviceConvPlan withPostOp(PostOp postOp) {
        if (postOp == PostOp.NONE) {
            return this;
        }
        return new FusedPostOpView(this, (in, w, b, out) -> forward(in, w, b, out, true),
                (in, w, b, out, stream) -> forwardAsync(in, w, b, out, stream, true),
                "ReLU fused into the kernel's epilogue");
    }

    @Override
    public void forward(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output) {
        forward(input, weight, bias, output, false);
    }

    /** {@link #forward(DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor)} with ReLU fused after the bias. */
    public void forward(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output, boolean fuseRelu) {
        try (StreamPool.Lease lease = device.streams().lease()) {
            forwardAsync(input, weight, bias, output, lease.stream(), fuseRelu);
            lease.stream().synchronize();
        }
    }

    @Override
    public void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                             CudaStream stream) {
        forwardAsync(input, weight, bias, output, stream, false);
    }

    public void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                             CudaStream stream, boolean fuseRelu) {
        ensureOpen();
        if (!DeviceConvPlan.checkOperands(geometry, device, input, weight, bias, output, stream)) {
            return;  // empty output: no launch was planned
        }
        run(input.address(), weight.address(), bias == null ? 0 : bias.address(), output.address(), stream, fuseRelu);
    }

    /** Queues the kernel; tensors are device addresses, {@code bias} 0 for none. */
    private void run(long in, long weight, long bias, long out, CudaStream stream, boolean fuseRelu) {
        ConvolutionInterruptedException.throwIfInterrupted();
        kernel.launch(launch.config(), stream,
                launch.arguments(in, weight, bias, out, taps == null ? 0 : taps.address(), fuseRelu));
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("cuda-ptx plan for " + geometry + " is closed and cannot be used any more");
        }
    }

    /** The tap table (input, weight and output staging live in the stream's scratch, not the plan). */
    @Override
    public long retainedBytes() {
        return taps == null ? 0 : taps.byteSize();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && taps != null) {
            taps.close();
        }
    }
}
