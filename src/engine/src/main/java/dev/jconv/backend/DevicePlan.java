package dev.jconv.backend;

import dev.jconv.DeviceTensorRef;
import dev.jconv.StreamRef;

/**
 * A plan of a GPU backend, which also runs on device memory. Shapes are the plan's geometry (input NCHW,
 * weight KCRS, bias (K) or null, output NKPQ), every tensor and the stream on {@link #deviceIndex()}.
 */
public interface DevicePlan extends ConvPlan {

    /** The CUDA device ordinal the plan runs on. */
    int deviceIndex();

    /**
     * Queues {@code output = conv(input, weight) + bias} on {@code stream} and returns at once, or, with a null
     * stream, runs it on a stream of jconv's and returns when the output is written.
     */
    void forward(DeviceTensorRef input, DeviceTensorRef weight, DeviceTensorRef bias, DeviceTensorRef output,
                 StreamRef stream);
}
