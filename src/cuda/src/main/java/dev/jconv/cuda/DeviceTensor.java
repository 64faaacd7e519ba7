package dev.jconv.cuda;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import java.util.Arrays;
import jcuda.Sizeof;

/**
 * A dense float32 row-major tensor in device memory, the device twin of {@link Tensor} (NCHW inputs
 * and outputs, KCRS weights). Layers that take and return device tensors chain on the GPU without
 * copying through the host; {@link #upload}/{@link #download} cross over when needed. Transfers are
 * complete when they return; work queued asynchronously on a stream ({@code forwardAsync}) must be
 * synchronised before its output is read (see {@link DeviceBuffer}).
 */
public final class DeviceTensor extends NativeResource {
    private final int[] shape;
    private final long numel;
    private final CudaDevice device;
    private final DeviceBuffer buffer;  // null for memory another library owns
    private final long external;        // that memory's address, else 0

    private DeviceTensor(CudaDevice device, int[] shape, long externalAddress) {
        this.shape = shape.clone();
        long n = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Shapes.format(shape));
            }
            n = Math.multiplyExact(n, s);
        }
        this.numel = n;
        this.device = device;
        this.buffer = externalAddress == 0 ? device.allocate(n * Sizeof.FLOAT) : null;
        this.external = externalAddress;
    }

    /** An uninitialised tensor of that shape on {@code device}. */
    public static DeviceTensor allocate(CudaDevice device, int... shape) {
        return new DeviceTensor(device, shape, 0);
    }

    /**
     * A view of memory another library allocated ({@code address}: the raw device address of element 0, at least
     * {@code numel * 4} bytes on {@code device}). Not copied and not owned: closing the view frees nothing. Plans
     * run on it; {@link #copyFrom}, {@link #copyTo}, {@link #download} and {@link #fill} need a tensor jconv
     * allocated.
     */
    public static DeviceTensor wrap(CudaDevice device, long address, int... shape) {
        if (address == 0) {
            throw new IllegalArgumentException("device address must not be null (0)");
        }
        return new DeviceTensor(device, shape, address);
    }

    /** A device copy of {@code host}. */
    public static DeviceTensor upload(CudaDevice device, Tensor host) {
        DeviceTensor t = new DeviceTensor(device, host.shape(), 0);
        try {
            t.copyFrom(host.data());
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** Overwrites the contents with {@code data} (row-major, exactly {@link #numel()} floats). */
    public void copyFrom(float[] data) {
        ensureOpen();
        requireOwned();
        checkLength(data.length);
        buffer.copyFrom(data, 0, 0, data.length);
    }

    /** Copies the contents into {@code data} (exactly {@link #numel()} floats). */
    public void copyTo(float[] data) {
        ensureOpen();
        requireOwned();
        checkLength(data.length);
        buffer.copyTo(0, data, 0, data.length);
    }

    /** A host copy. */
    public Tensor download() {
        ensureOpen();
        requireOwned();
        float[] data = new float[Math.toIntExact(numel)];
        buffer.copyTo(0, data, 0, data.length);
        return Tensor.of(data, shape);
    }

    /** Sets every element to {@code value} (NaN poisons a buffer so unwritten elements show). */
    public void fill(float value) {
        ensureOpen();
        requireOwned();
        buffer.fill(value);
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size(int d) {
        return shape[d];
    }

    public int dim() {
        return shape.length;
    }

    public long numel() {
        return numel;
    }

    public CudaDevice device() {
        return device;
    }

    /** The raw device address of element 0, for kernel arguments and library calls, or to pass to another library. */
    public long address() {
        ensureOpen();
        return buffer != null ? buffer.address() : external;
    }

    private void requireOwned() {
        if (buffer == null) {
            throw new UnsupportedOperationException(describe() + " wraps memory another library owns: copy with that library");
        }
    }

    /** Throws unless this tensor has exactly {@code expected} shape; {@code role} names it in the message. */
    public void checkShape(String role, int... expected) {
        ensureOpen();
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException("expected " + role + " of size " + Shapes.format(expected)
                    + ", but got one of size " + Shapes.format(shape));
        }
    }

    private void checkLength(int length) {
        if (length != numel) {
            throw new IllegalArgumentException("host array of " + length + " floats does not match device tensor of size "
                    + Shapes.format(shape) + " (" + numel + " elements)");
        }
    }

    @Override
    protected String describe() {
        return "DeviceTensor(" + Shapes.format(shape) + " on device " + device.ordinal()
                + (buffer == null ? ", wrapped" : "") + ")";
    }

    @Override
    protected void release() {
        if (buffer != null) {
            buffer.close();
        }
    }
}
