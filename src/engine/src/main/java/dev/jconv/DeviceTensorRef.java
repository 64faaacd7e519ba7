package dev.jconv;

import java.util.Arrays;

/**
 * A dense float32 row-major tensor in CUDA device memory, described as plain Java values so that memory from
 * any library (PyTorch through a bridge, a JNI library, jconv's own {@code DeviceTensor}) can be passed to a
 * {@link ConvolutionPlan}: the raw device address of element 0 ({@code CUdeviceptr} as a number,
 * {@code tensor.data_ptr()} in PyTorch), the device ordinal, and the shape.
 *
 * <p>jconv neither owns nor frees this memory: the caller keeps it allocated, on device {@code deviceIndex},
 * at least {@code numel * 4} bytes, until the work that uses it has finished on the stream it was queued on.
 */
public record DeviceTensorRef(long address, int deviceIndex, int[] shape) {

    public DeviceTensorRef {
        if (address == 0) {
            throw new IllegalArgumentException("device address must not be null (0)");
        }
        if (deviceIndex < 0) {
            throw new IllegalArgumentException("device index must not be negative, got " + deviceIndex);
        }
        shape = shape.clone();
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Shapes.format(shape));
            }
        }
    }

    public static DeviceTensorRef of(long address, int deviceIndex, int... shape) {
        return new DeviceTensorRef(address, deviceIndex, shape);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public long numel() {
        long n = 1;
        for (int s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceTensorRef t && address == t.address && deviceIndex == t.deviceIndex
                && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(address) * 31 + deviceIndex * 17 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "DeviceTensorRef(0x" + Long.toHexString(address) + " on device " + deviceIndex + ", "
                + Shapes.format(shape) + ")";
    }
}
