package dev.jconv.cuda;

import dev.jconv.backend.ConvPlan;

/**
 * A convolution plan that also runs on {@link DeviceTensor}s, so a chain of layers stays on the GPU.
 * The GPU backends ({@code cuda-ptx}, and the cuDNN/cuBLAS ones built on this package) all offer it.
 * Shapes must be the plan's geometry: input {@code (N, C, H, W)}, weight {@code (K, C/groups, kH, kW)},
 * bias {@code (K)} or null, output {@code (N, K, Hout, Wout)}, all on {@link #device()}.
 */
public interface DeviceConvPlan extends ConvPlan {

    CudaDevice device();

    /** Runs on a stream borrowed from the device's pool and returns when the output is written. */
    void forward(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output);

    /**
     * Queues the convolution on {@code stream} and returns at once; the caller orders later work
     * (the same stream, an event, or {@link CudaStream#synchronize()}).
     */
    void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output, CudaStream stream);
}
