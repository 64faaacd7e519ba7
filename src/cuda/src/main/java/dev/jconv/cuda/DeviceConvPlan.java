package dev.jconv.cuda;

import dev.jconv.ConvGeometry;
import dev.jconv.DeviceTensorRef;
import dev.jconv.StreamRef;
import dev.jconv.backend.DevicePlan;
import java.util.List;

/**
 * A convolution plan that also runs on {@link DeviceTensor}s, so a chain of layers stays on the GPU.
 * The GPU backends ({@code cuda-ptx}, and the cuDNN/cuBLAS ones built on this package) all offer it.
 * Shapes must be the plan's geometry: input {@code (N, C, H, W)}, weight {@code (K, C/groups, kH, kW)},
 * bias {@code (K)} or null, output {@code (N, K, Hout, Wout)}, all on {@link #device()}.
 */
public interface DeviceConvPlan extends DevicePlan {

    CudaDevice device();

    @Override
    default int deviceIndex() {
        return device().ordinal();
    }

    /**
     * Runs on memory and a stream described as plain values (see {@link DevicePlan}): the memory is wrapped, not
     * copied, and the stream is the caller's ({@link CudaStream#external}); with a null stream, as
     * {@link #forward(DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor)}.
     */
    @Override
    default void forward(DeviceTensorRef input, DeviceTensorRef weight, DeviceTensorRef bias, DeviceTensorRef output,
                         StreamRef stream) {
        CudaDevice device = device();
        for (DeviceTensorRef t : bias == null ? List.of(input, weight, output) : List.of(input, weight, bias, output)) {
            if (t.deviceIndex() != device.ordinal()) {
                throw new IllegalArgumentException(t + " is not on the plan's " + device.describe());
            }
        }
        DeviceTensor in = DeviceTensor.wrap(device, input.address(), input.shape());
        DeviceTensor w = DeviceTensor.wrap(device, weight.address(), weight.shape());
        DeviceTensor b = bias == null ? null : DeviceTensor.wrap(device, bias.address(), bias.shape());
        DeviceTensor out = DeviceTensor.wrap(device, output.address(), output.shape());
        if (stream == null) {
            forward(in, w, b, out);
            return;
        }
        if (stream.deviceIndex() != device.ordinal()) {
            throw new IllegalArgumentException(stream + " is not on the plan's " + device.describe());
        }
        CudaStream s = CudaStream.external(device, stream.handle());
        synchronized (s) { // its scratch serves one queuing thread at a time; the GPU orders the work itself
            forwardAsync(in, w, b, out, s);
        }
    }

    /** Runs on a stream borrowed from the device's pool and returns when the output is written. */
    default void forward(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output) {
        try (StreamPool.Lease lease = device().streams().lease()) {
            forwardAsync(input, weight, bias, output, lease.stream());
            lease.stream().synchronize();
        }
    }

    /**
     * Queues the convolution on {@code stream} and returns at once; the caller orders later work
     * (the same stream, an event, or {@link CudaStream#synchronize()}).
     */
    void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output, CudaStream stream);

    /**
     * The checks every {@link #forwardAsync} makes before queuing work: shapes match {@code g} (bias may be
     * null), every tensor and the stream are on {@code device}. Returns whether the output has elements,
     * that is whether there is anything to compute.
     */
    static boolean checkOperands(ConvGeometry g, CudaDevice device, DeviceTensor input, DeviceTensor weight,
                                 DeviceTensor bias, DeviceTensor output, CudaStream stream) {
        input.checkShape("input", g.inputShape());
        weight.checkShape("weight", g.weightShape());
        if (bias != null) {
            bias.checkShape("bias", g.outChannels());
        }
        output.checkShape("output", g.outputShape());
        for (DeviceTensor t : bias == null ? new DeviceTensor[] {input, weight, output}
                : new DeviceTensor[] {input, weight, bias, output}) {
            if (t.device() != device) {
                throw new IllegalArgumentException(t + " is not on the plan's " + device.describe());
            }
        }
        if (stream.device() != device) {
            throw new IllegalArgumentException(stream + " is not on the plan's " + device.describe());
        }
        return output.numel() != 0;
    }
}
