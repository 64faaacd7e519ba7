package dev.jconv.cuda.vendor;

import dev.jconv.ConvGeometry;
import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaStream;
import dev.jconv.cuda.DeviceConvPlan;
import dev.jconv.cuda.DeviceTensor;

/**
 * The plan for a geometry whose output has no elements (batch 0, say): nothing to compute, and no
 * library call, since cuDNN and cuBLAS reject zero-sized descriptors and matrices.
 */
public record EmptyOutputPlan(ConvGeometry geometry, CudaDevice device, String backend) implements DeviceConvPlan {

    public static boolean applies(ConvGeometry g) {
        return (long) g.batch() * g.outChannels() * g.outHeight() * g.outWidth() == 0;
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        if (output.length != 0) {
            throw new IllegalArgumentException("output array has " + output.length + " elements, the plan's geometry needs 0");
        }
    }

    @Override
    public void forward(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output) {
        output.checkShape("output", geometry.outputShape());
    }

    @Override
    public void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                             CudaStream stream) {
        output.checkShape("output", geometry.outputShape());
    }

    @Override
    public String describe() {
        return backend + ": empty output, nothing to compute";
    }

    @Override
    public long retainedBytes() {
        return 0;
    }

    @Override
    public void close() {}
}
