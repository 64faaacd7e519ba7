package dev.jconv.cuda;

import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * A block of device memory ({@code cuMemAlloc}, at least 256-byte aligned). Synchronous copies use the
 * legacy default stream, which orders them after all earlier work in jconv's streams (they are created
 * blocking, see {@link CudaStream}) and before all later work, so they need no extra synchronisation;
 * the {@code Async} variants run on a caller's stream from pinned host memory.
 */
public final class DeviceBuffer extends NativeResource {
    private final CudaDevice device;
    private final long bytes;
    private final CUdeviceptr pointer = new CUdeviceptr();

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

    /** The device address, for kernel arguments and library calls. */
    public CUdeviceptr pointer() {
        ensureOpen();
        return pointer;
    }

    public CUdeviceptr pointer(long byteOffset) {
        ensureOpen();
        checkRange(byteOffset, 0);
        return pointer.withByteOffset(byteOffset);
    }

    /** Copies {@code count} floats from {@code src[srcIndex...]} to this buffer at {@code dstByteOffset}; returns when done. */
    public void copyFrom(float[] src, int srcIndex, long dstByteOffset, int count) {
        ensureOpen();
        checkArray(src.length, srcIndex, count);
        checkRange(dstByteOffset, (long) count * Sizeof.FLOAT);
        if (count == 0) {
            return;
        }
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemcpyHtoD(pointer.withByteOffset(dstByteOffset),
                Pointer.to(src).withByteOffset((long) srcIndex * Sizeof.FLOAT), (long) count * Sizeof.FLOAT),
                "cuMemcpyHtoD(" + Sizes.bytes((long) count * Sizeof.FLOAT) + ")");
    }

    /** Copies all of {@code src} (e.g. an index table) to the start of this buffer; returns when done. */
    public void copyFrom(int[] src) {
        ensureOpen();
        checkRange(0, (long) src.length * Sizeof.INT);
        if (src.length == 0) {
            return;
        }
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemcpyHtoD(pointer, Pointer.to(src), (long) src.length * Sizeof.INT),
                "cuMemcpyHtoD(" + Sizes.bytes((long) src.length * Sizeof.INT) + ")");
    }

    /** Copies {@code count} floats from this buffer at {@code srcByteOffset} into {@code dst[dstIndex...]}; returns when done. */
    public void copyTo(long srcByteOffset, float[] dst, int dstIndex, int count) {
        ensureOpen();
        checkArray(dst.length, dstIndex, count);
        checkRange(srcByteOffset, (long) count * Sizeof.FLOAT);
        if (count == 0) {
            return;
        }
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemcpyDtoH(Pointer.to(dst).withByteOffset((long) dstIndex * Sizeof.FLOAT),
                pointer.withByteOffset(srcByteOffset), (long) count * Sizeof.FLOAT),
                "cuMemcpyDtoH(" + Sizes.bytes((long) count * Sizeof.FLOAT) + ")");
    }

    /** Queues a copy of {@code bytes} from pinned host memory onto {@code stream}. */
    public void copyFromAsync(PinnedHostBuffer src, long srcByteOffset, long dstByteOffset, long bytes, CudaStream stream) {
        ensureOpen();
        checkRange(dstByteOffset, bytes);
        if (bytes == 0) {
            return;
        }
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemcpyHtoDAsync(pointer.withByteOffset(dstByteOffset), src.pointer(srcByteOffset, bytes),
                bytes, stream.handle()), "cuMemcpyHtoDAsync(" + Sizes.bytes(bytes) + ")");
    }

    /** Queues a copy of {@code bytes} into pinned host memory onto {@code stream}. */
    public void copyToAsync(long srcByteOffset, PinnedHostBuffer dst, long dstByteOffset, long bytes, CudaStream stream) {
        ensureOpen();
        checkRange(srcByteOffset, bytes);
        if (bytes == 0) {
            return;
        }
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemcpyDtoHAsync(dst.pointer(dstByteOffset, bytes), pointer.withByteOffset(srcByteOffset),
                bytes, stream.handle()), "cuMemcpyDtoHAsync(" + Sizes.bytes(bytes) + ")");
    }

    /** Sets every float of the buffer to {@code value} (any bit pattern, NaN included), ordered like a synchronous copy. */
    public void fill(float value) {
        ensureOpen();
        if (bytes < Sizeof.FLOAT) {
            return;
        }
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemsetD32(pointer, Float.floatToRawIntBits(value), bytes / Sizeof.FLOAT), "cuMemsetD32");
    }

    /** Queues {@link #fill} onto {@code stream}. */
    public void fillAsync(float value, CudaStream stream) {
        ensureOpen();
        if (bytes < Sizeof.FLOAT) {
            return;
        }
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuMemsetD32Async(pointer, Float.floatToRawIntBits(value), bytes / Sizeof.FLOAT,
                stream.handle()), "cuMemsetD32Async");
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
