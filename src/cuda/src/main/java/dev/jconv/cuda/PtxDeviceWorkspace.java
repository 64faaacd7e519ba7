package dev.jconv.cuda;

import dev.jconv.DeviceTensorRef;
import dev.jconv.Shapes;
import dev.jconv.StreamRef;
import dev.jconv.Tensor;
import dev.jconv.backend.DeviceWorkspace;
import dev.jconv.cuda.vendor.KernelModules;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code cuda-ptx}'s {@link DeviceWorkspace}: one stream borrowed from the device's pool for the workspace's
 * lifetime, the buffers allocated through it, and the standalone {@code relu} and {@code max_pool2d} kernels
 * ({@link ReluKernel}, {@link MaxPool2dKernel}). Used by one thread at a time (a network's forward).
 */
final class PtxDeviceWorkspace implements DeviceWorkspace {
    private final CudaDevice device;
    private final KernelModules modules;
    private final StreamPool.Lease lease;
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    private boolean closed;

    PtxDeviceWorkspace(CudaDevice device, KernelModules modules) {
        this.device = device;
        this.modules = modules;
        this.lease = device.streams().lease();
    }

    @Override
    public StreamRef stream() {
        return new StreamRef(lease.stream().rawHandle(), device.ordinal());
    }

    @Override
    public DeviceTensorRef allocate(int... shape) {
        ensureOpen();
        long elements = 1;
        for (int d : shape) {
            elements = Math.multiplyExact(elements, d);
        }
        DeviceBuffer buffer = device.allocate(Math.max(1, elements) * Float.BYTES);  // a ref needs a non-null address
        buffers.add(buffer);
        return DeviceTensorRef.of(buffer.address(), device.ordinal(), shape);
    }

    @Override
    public void upload(Tensor source, DeviceTensorRef target) {
        requireSameCount(source.numel(), target);
        float[] data = source.isWholeArray() ? source.data() : source.copy().data();
        owner(target).copyFrom(data, 0, target.address() - owner(target).address(), data.length, lease.stream());
    }

    @Override
    public void download(DeviceTensorRef source, Tensor target) {
        requireSameCount(target.numel(), source);
        float[] data = target.isWholeArray() ? target.data() : new float[(int) target.numel()];
        owner(source).copyTo(source.address() - owner(source).address(), data, 0, data.length, lease.stream());
        if (!target.isWholeArray()) {
            target.copyFrom(data, 0);
        }
    }

    @Override
    public void relu(DeviceTensorRef input, DeviceTensorRef output) {
        requireSameCount(input.numel(), output);
        ReluKernel.forShape(input.shape()).launch(kernel(ReluKernel.PTX, ReluKernel.NAME), input.address(),
                output.address(), lease.stream());
    }

    @Override
    public void maxPool2d(DeviceTensorRef input, DeviceTensorRef output, int[] kernel, int[] stride, int[] padding,
                          int[] dilation) {
        int[] in = input.shape();
        int[] out = output.shape();
        if (in.length != 4 || out.length != 4 || in[0] != out[0] || in[1] != out[1]) {
            throw new IllegalArgumentException("max_pool2d on the device takes (N, C, H, W) in and out with the same"
                    + " N and C, got " + Shapes.format(in) + " -> " + Shapes.format(out));
        }
        new MaxPool2dKernel(Math.multiplyExact(in[0], in[1]), in[2], in[3], out[2], out[3], kernel[0], kernel[1],
                stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1])
                .launch(kernel(MaxPool2dKernel.PTX, MaxPool2dKernel.NAME), input.address(), output.address(),
                        lease.stream());
    }

    @Override
    public String describe() {
        return PtxBackend.NAME + " on " + device.describe() + ", one stream, relu.cu and max_pool2d.cu between"
                + " convolutions";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lease.stream().synchronize();
        } finally {
            buffers.forEach(DeviceBuffer::close);
            buffers.clear();
            lease.close();
        }
    }

    private CudaKernel kernel(String ptx, String name) {
        ensureOpen();
        return modules.kernel(device, ptx, name);
    }

    /** The buffer of this workspace that holds {@code t}. */
    private DeviceBuffer owner(DeviceTensorRef t) {
        ensureOpen();
        for (DeviceBuffer b : buffers) {
            long start = b.address();
            if (t.address() >= start && t.address() + t.numel() * Float.BYTES <= start + b.byteSize()) {
                return b;
            }
        }
        throw new IllegalArgumentException(t + " is not memory of this workspace");
    }

    private static void requireSameCount(long elements, DeviceTensorRef t) {
        if (elements != t.numel()) {
            throw new IllegalArgumentException("element counts differ: " + elements + " and " + t);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("device workspace is closed");
        }
    }
}
