package dev.jconv.cuda;

import dev.jconv.cuda.internal.RawHandles;
import java.util.concurrent.atomic.LongAdder;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * A block of device memory ({@code cuMemAlloc}, at least 256-byte aligned). Every copy goes through
 * pinned host memory on one of jconv's non-blocking streams (see {@link CudaStream}), never the legacy
 * default stream, which would serialise all streams of the device. The synchronous variants stage
 * through a stream's pinned buffer (in pieces of at most {@value #STAGING_PIECE_BYTES} bytes) and return
 * when the copy is complete; they do not wait for other streams, so work queued asynchronously that
 * writes or reads this buffer must be synchronised first. The {@code Async} variants queue on a caller's
 * stream from pinned host memory.
 */
public final class DeviceBuffer extends NativeResource {
    private final CudaDevice device;
    private final long bytes;
    private final CUdeviceptr pointer = new CUdeviceptr();
    private final long address;  // of pointer, 0 for an empty buffer
    /** The most pinned memory one synchronous copy holds on to: bigger arrays are staged in pieces. */
    static final int STAGING_PIECE_BYTES = 64 << 20;
    /** Host-to-device and device-to-host copies queued so far, process-wide (tests count them per forward). */
    private static final LongAdder HOST_TO_DEVICE_COPIES = new LongAdder();
    private static final LongAdder DEVICE_TO_HOST_COPIES = new LongAdder();

    DeviceBuffer(CudaDevice device, long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative buffer size " + bytes);
        }
        this.device = device;
        this.bytes = bytes;
        if (bytes > 0) {  // cuMemAlloc rejects 0; an empty buffer keeps the null pointer
            device.makeCurrent();
            int result = JCudaDriver.cuMemAlloc(pointer, bytes);
            if (result != CUresult.CUDA_SUCCESS) {
                throw new CudaException("cuMemAlloc(" + Sizes.bytes(bytes) + " on device " + device.ordinal() + ")",
                        result, result == CUresult.CUDA_ERROR_OUT_OF_MEMORY ? freeMemoryNote(device) : null);
            }
        }
        this.address = RawHandles.address(pointer);
    }

    private static String freeMemoryNote(CudaDevice device) {
        try {
            CudaDevice.MemoryInfo m = device.memoryInfo();
            return Sizes.bytes(m.free()) + " free of " + Sizes.bytes(m.total());
        } catch (CudaException e) {
            return null;
        }
    }

    public CudaDevice device() {
        return device;
    }

    public long byteSize() {
        return bytes;
    }

    /** The raw device address of the first byte (0 for an empty buffer), for kernel arguments and library calls. */
    public long address() {
        ensureOpen();
        return address;
    }

    /** The raw device address {@code byteOffset} bytes in (at most {@link #byteSize()}). */
    public long address(long byteOffset) {
        ensureOpen();
        checkRange(byteOffset, 0);
        return address + byteOffset;
    }

    /** Copies {@code count} floats from {@code src[srcIndex...]} to this buffer at {@code dstByteOffset}; returns when done. */
    public void copyFrom(float[] src, int srcIndex, long dstByteOffset, int count) {
        try (StreamPool.Lease lease = device.streams().lease()) {
            copyFrom(src, srcIndex, dstByteOffset, count, lease.stream());
        }
    }

    /** {@link #copyFrom(float[], int, long, int)} staged through {@code stream}'s pinned buffer; waits for {@code stream}. */
    public void copyFrom(float[] src, int srcIndex, long dstByteOffset, int count, CudaStream stream) {
        ensureOpen();
        checkArray(src.length, srcIndex, count);
        checkRange(dstByteOffset, (long) count * Sizeof.FLOAT);
        int piece = STAGING_PIECE_BYTES / Sizeof.FLOAT;
        for (int done = 0; done < count; done += piece) {
            int n = Math.min(piece, count - done);
            PinnedHostBuffer staging = stream.staging((long) n * Sizeof.FLOAT);
            staging.floats().put(src, srcIndex + done, n);
            copyFromAsync(staging, 0, dstByteOffset + (long) done * Sizeof.FLOAT, (long) n * Sizeof.FLOAT, stream);
            stream.synchronize();  // the staging buffer is reused by the next piece
        }
    }

    /** Copies all of {@code src} (e.g. an index table) to the start of this buffer; returns when done. */
    public void copyFrom(int[] src) {
        ensureOpen();
        long bytes = (long) src.length * Sizeof.INT;
        checkRange(0, bytes);
        if (bytes > STAGING_PIECE_BYTES) {
            throw new IllegalArgumentException("an int table of " + Sizes.bytes(bytes) + " is larger than one staging piece");
        }
        if (src.length == 0) {
            return;
        }
        try (StreamPool.Lease lease = device.streams().lease()) {
            CudaStream stream = lease.stream();
            PinnedHostBuffer staging = stream.staging(bytes);
            staging.ints().put(src);
            copyFromAsync(staging, 0, 0, bytes, stream);
            stream.synchronize();
        }
    }

    /** Copies {@code count} floats from this buffer at {@code srcByteOffset} into {@code dst[dstIndex...]}; returns when done. */
    public void copyTo(long srcByteOffset, float[] dst, int dstIndex, int count) {
        try (StreamPool.Lease lease = device.streams().lease()) {
            copyTo(srcByteOffset, dst, dstIndex, count, lease.stream());
        }
    }

    /** {@link #copyTo(long, float[], int, int)} staged through {@code stream}'s pinned buffer, after {@code stream}'s work. */
    public void copyTo(long srcByteOffset, float[] dst, int dstIndex, int count, CudaStream stream) {
        ensureOpen();
        checkArray(dst.length, dstIndex, count);
        checkRange(srcByteOffset, (long) count * Sizeof.FLOAT);
        int piece = STAGING_PIECE_BYTES / Sizeof.FLOAT;
        for (int done = 0; done < count; done += piece) {
            int n = Math.min(piece, count - done);
            PinnedHostBuffer staging = stream.staging((long) n * Sizeof.FLOAT);
            copyToAsync(srcByteOffset + (long) done * Sizeof.FLOAT, staging, 0, (long) n * Sizeof.FLOAT, stream);
            stream.synchronize();
            staging.floats().get(dst, dstIndex + done, n);
        }
    }

    /** Queues a copy of {@code bytes} from pinned host memory onto {@code stream}. */
    public void copyFromAsync(PinnedHostBuffer src, long srcByteOffset, long dstByteOffset, long bytes, CudaStream stream) {
        ensureOpen();
        checkRange(dstByteOffset, bytes);
        if (bytes == 0) {
            return;
        }
        device.makeCurrent();
        HOST_TO_DEVICE_COPIES.increment();
        Cuda.check(JCudaDriver.cuMemcpyHtoDAsync(pointer.withByteOffset(dstByteOffset), src.pointer(srcByteOffset, bytes),
                bytes, stream.jcudaStream()), "cuMemcpyHtoDAsync(" + Sizes.bytes(bytes) + ")");
    }

    /** Queues a copy of {@code bytes} into pinned host memory onto {@code stream}. */
    public void copyToAsync(long srcByteOffset, PinnedHostBuffer dst, long dstByteOffset, long bytes, CudaStream stream) {
        ensureOpen();
        checkRange(srcByteOffset, bytes);
        if (bytes == 0) {
            return;
        }
        device.makeCurrent();
        DEVICE_TO_HOST_COPIES.increment();
        Cuda.check(JCudaDriver.cuMemcpyDtoHAsync(dst.pointer(dstByteOffset, bytes), pointer.withByteOffset(srcByteOffset),
                bytes, stream.jcudaStream()), "cuMemcpyDtoHAsync(" + Sizes.bytes(bytes) + ")");
    }

    /** Host-to-device copies queued by this process so far (every one goes through {@link #copyFromAsync}). */
    static long hostToDeviceCopies() {
        return HOST_TO_DEVICE_COPIES.sum();
    }

    /** Device-to-host copies queued by this process so far (every one goes through {@link #copyToAsync}). */
    static long deviceToHostCopies() {
        return DEVICE_TO_HOST_COPIES.sum();
    }

    /** Sets every float of the buffer to {@code value} (any bit pattern, NaN included); returns when done. */
    public void fill(float value) {
        try (StreamPool.Lease lease = device.streams().lease()) {
            fillAsync(value, lease.stream());
            lease.stream().synchronize();
        }
    }

    /** Queues {@link #fill} onto {@code stream}. */
    public void fillAsync(float value, CudaStream stream) {
        ensureOpen();
        if (bytes < Sizeof.FLOAT) {
            return;
        }
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemsetD32Async(pointer, Float.floatToRawIntBits(value), bytes / Sizeof.FLOAT,
                stream.jcudaStream()), "cuMemsetD32Async");
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > bytes) {
            throw new IndexOutOfBoundsException("bytes [" + offset + ", " + (offset + length) + ") are outside "
                    + describe());
        }
    }

    private static void checkArray(int arrayLength, int index, int count) {
        if (index < 0 || count < 0 || index > arrayLength - count) {
            throw new IndexOutOfBoundsException("elements [" + index + ", " + ((long) index + count)
                    + ") are outside an array of " + arrayLength);
        }
    }

    @Override
    protected String describe() {
        return "DeviceBuffer(" + Sizes.bytes(bytes) + " on device " + device.ordinal() + ")";
    }

    @Override
    protected void release() {
        if (bytes > 0) {
            device.makeCurrent();
            Cuda.check(JCudaDriver.cuMemFree(pointer), "cuMemFree(" + Sizes.bytes(bytes) + ")");
        }
    }
}
