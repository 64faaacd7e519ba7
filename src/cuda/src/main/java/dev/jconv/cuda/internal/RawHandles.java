package dev.jconv.cuda.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.runtime.cudaStream_t;

/**
 * Converts between JCuda's handle objects and the raw numbers jconv-cuda's API uses ({@code long} device addresses
 * and stream handles), so that no JCuda type appears in a public signature and memory or streams from another
 * library can be passed in. The JCuda objects are made here, right where a JCuda call needs one.
 *
 * <p><b>Internal, not API</b>: public only because the cuDNN, cuBLAS and vendor packages call JCuda too and Java has
 * no access level between package-private and public. It is the one class of jconv-cuda whose public signatures
 * name JCuda types ({@code NoJCudaInPublicApiTest} exempts this package and no other); it may change at any time.
 * JCuda keeps the number in a protected field with no public accessor, hence the reflection, done once.
 */
public final class RawHandles {
    private static final MethodHandle NATIVE_POINTER;
    private static final MethodHandle BYTE_OFFSET;
    private static final MethodHandle STREAM_FROM_LONG;

    static {
        try {
            Method nativePointer = NativePointerObject.class.getDeclaredMethod("getNativePointer");
            nativePointer.setAccessible(true);
            Method byteOffset = Pointer.class.getDeclaredMethod("getByteOffset");
            byteOffset.setAccessible(true);
            Constructor<CUstream> stream = CUstream.class.getDeclaredConstructor(long.class);
            stream.setAccessible(true);
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            NATIVE_POINTER = lookup.unreflect(nativePointer);
            BYTE_OFFSET = lookup.unreflect(byteOffset);
            STREAM_FROM_LONG = lookup.unreflectConstructor(stream);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private RawHandles() {}

    /** The device address {@code p} points at (its base plus its byte offset). */
    public static long address(CUdeviceptr p) {
        try {
            return (long) NATIVE_POINTER.invoke((NativePointerObject) p) + (long) BYTE_OFFSET.invoke((Pointer) p);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot read a JCuda device pointer", t);
        }
    }

    /**
     * A JCuda pointer to device address {@code address} (JCuda adds the byte offset to a null base); 0 gives the null
     * pointer (e.g. no bias).
     */
    public static CUdeviceptr pointer(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }

    /** The raw handle of {@code s}. */
    public static long handle(CUstream s) {
        try {
            return (long) NATIVE_POINTER.invoke((NativePointerObject) s);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot read a JCuda stream handle", t);
        }
    }

    /** A JCuda stream object for raw handle {@code handle} (0: the legacy default stream). */
    public static CUstream stream(long handle) {
        try {
            return (CUstream) STREAM_FROM_LONG.invoke(handle);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot make a JCuda stream from a raw handle", t);
        }
    }

    /** A CUDA runtime stream object (what cuDNN and cuBLAS take) for raw handle {@code handle}: the same stream. */
    public static cudaStream_t runtimeStream(long handle) {
        return new cudaStream_t(stream(handle));
    }
}
