package dev.jconv.backend;

import dev.jconv.DeviceTensorRef;
import dev.jconv.StreamRef;
import dev.jconv.Tensor;

/**
 * Device memory, one stream and the element-wise kernels that a GPU backend lends a whole network
 * ({@code dev.jconv.nn.Sequential}) so that its intermediates never leave the device: convolutions run through
 * {@link dev.jconv.ConvolutionPlan#forward(DeviceTensorRef, DeviceTensorRef, DeviceTensorRef, DeviceTensorRef,
 * StreamRef)} on {@link #stream()}, everything else through the methods here, all queued on that one stream in
 * order. Memory allocated here lives until {@link #close()}; tensors are dense float32 row-major.
 */
public interface DeviceWorkspace extends AutoCloseable {

    /** The stream every call of this workspace queues on (and convolutions are given). */
    StreamRef stream();

    /** A new device tensor of {@code shape}, its contents undefined, freed when the workspace closes. */
    DeviceTensorRef allocate(int... shape);

    /** Copies {@code source} (host) into {@code target} (same element count); returns when the copy is done. */
    void upload(Tensor source, DeviceTensorRef target);

    /** Copies {@code source} (device) into {@code target} (same element count) after the stream's earlier work. */
    void download(DeviceTensorRef source, Tensor target);

    /** Queues {@code output = relu(input)} (NaN propagating; {@code input == output} allowed). */
    void relu(DeviceTensorRef input, DeviceTensorRef output);

    /**
     * Queues {@code torch.nn.functional.max_pool2d} of an {@code (N, C, H, W)} input into {@code output}, whose
     * shape (with or without {@code ceil_mode}) the caller computed; each argument is {@code {height, width}}.
     */
    void maxPool2d(DeviceTensorRef input, DeviceTensorRef output, int[] kernel, int[] stride, int[] padding,
                   int[] dilation);

    /** How it runs, for {@code explain}: the device and the kernels. */
    String describe();

    /** Waits for the stream's work and frees the memory allocated here. */
    @Override
    void close();
}
