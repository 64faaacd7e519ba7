package dev.jconv.cuda;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/**
 * Page-locked host memory ({@code cuMemAllocHost}): the only host memory asynchronous copies can use,
 * and the fastest for any transfer. Allocation is slow (it pins pages), so buffers are kept and reused
 * (see {@link CudaStream#staging(long)}), not made per call.
 */
public final class PinnedHostBuffer extends NativeResource {
    private final CudaDevice device;
    private final long bytes;
    private final Pointer pointer = new Pointer();
    private final FloatBuffer floats;

    PinnedHostBuffer(CudaDevice device, long bytes) {
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pinned buffer size must be 1 byte to 2 GiB, got " + bytes);
        }
        this.device = device;
        this.bytes = bytes;
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemAllocHost(pointer, bytes), "cuMemAllocHost(" + Sizes.bytes(bytes) + ")");
        this.floats = pointer.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    public long byteSize() {
        return bytes;
    }

    /** A view of the whole buffer as floats (position and limit are the caller's to manage). */
    public FloatBuffer floats() {
        ensureOpen();
        return floats.duplicate();
    }

    /** A view of the whole buffer as ints (position and limit are the caller's to manage). */
    public IntBuffer ints() {
        ensureOpen();
        return pointer.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder()).asIntBuffer();
    }

    /** Copies {@code src} into the buffer at float index {@code floatOffset}. */
    public void put(long floatOffset, float[] src) {
        ensureOpen();
        floats.duplicate().position(Math.toIntExact(floatOffset)).put(src);
    }

    /** Copies floats starting at {@code floatOffset} into all of {@code dst}. */
    public void get(long floatOffset, float[] dst) {
        ensureOpen();
        floats.duplicate().position(Math.toIntExact(floatOffset)).get(dst);
    }

    Pointer pointer(long byteOffset, long length) {
        ensureOpen();
        if (byteOffset < 0 || length < 0 || byteOffset + length > bytes) {
            throw new IndexOutOfBoundsException("bytes [" + byteOffset + ", " + (byteOffset + length) + ") are outside " + describe());
        }
        return pointer.withByteOffset(byteOffset);
    }

    @Override
    protected String describe() {
        return "PinnedHostBuffer(" + Sizes.bytes(bytes) + ")";
    }

    @Override
    protected void release() {
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemFreeHost(pointer), "cuMemFreeHost(" + Sizes.bytes(bytes) + ")");
    }
}
