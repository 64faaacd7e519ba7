package dev.jconv.cuda;

import dev.jconv.ConvGeometry;

/**
 * A GPU plan seen with its post-op fused into the way it writes the output: {@code cuda-ptx} sets its kernels'
 * ReLU epilogue flag, {@code cudnn} calls its bias-activation path. The view shares everything the plan prepared
 * (launch, tap table, descriptors, workspace); closing it closes nothing, since the backend's lease owns the plan.
 */
public final class FusedPostOpView implements DeviceConvPlan {

    /** The plan's host-array forward with the post-op fused. */
    @FunctionalInterface
    public interface HostForward {
        void forward(float[] input, float[] weight, float[] bias, float[] output);
    }

    /** The plan's queued device forward with the post-op fused. */
    @FunctionalInterface
    public interface DeviceForward {
        void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                          CudaStream stream);
    }

    private final DeviceConvPlan plan;
    private final HostForward host;
    private final DeviceForward device;
    private final String fusion;

    /** {@code fusion} completes the plan's {@code describe()}, e.g. "ReLU fused into the kernel's epilogue". */
    public FusedPostOpView(DeviceConvPlan plan, HostForward host, DeviceForward device, String fusion) {
        this.plan = plan;
        this.host = host;
        this.device = device;
        this.fusion = fusion;
    }

    @Override
    public CudaDevice device() {
        return plan.device();
    }

    @Override
    public ConvGeometry geometry() {
        return plan.geometry();
    }

    @Override
    public long retainedBytes() {
        return plan.retainedBytes();
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        host.forward(input, weight, bias, output);
    }

    @Override
    public void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                             CudaStream stream) {
        device.forwardAsync(input, weight, bias, output, stream);
    }

    @Override
    public String describe() {
        return plan.describe() + ", " + fusion;
    }

    @Override
    public void close() {
        // the backend's cached plan owns every resource
    }
}
