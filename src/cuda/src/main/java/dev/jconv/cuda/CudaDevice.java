package dev.jconv.cuda;

import dev.jconv.Options;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device and its primary context. Devices are process-wide: {@link #all()} returns the same
 * objects every time. The primary context (the one the CUDA runtime, cuDNN and cuBLAS also use) is
 * retained on first use and kept for the life of the process; every thread that works with the device
 * calls {@link #makeCurrent()} first, which is cheap, so request threads need no set-up of their own.
 *
 * <p>Which device jconv uses: system property {@code jconv.cuda.device}, else environment variable
 * {@code JCONV_CUDA_DEVICE}, else 0 (see {@link #selected()}).
 */
public final class CudaDevice {
    /**
     * How the device of jconv's emulated CUDA driver (native-kernels/emulator, a CPU stand-in for
     * {@code libcuda.so.1} used by the build's tests) names itself. Nothing run on it is a GPU result.
     */
    public static final String EMULATED_NAME_PREFIX = "jconv emulated driver";

    private static volatile List<CudaDevice> devices;

    private final int ordinal;
    private final CUdevice handle;
    private final String name;
    private final int computeMajor;
    private final int computeMinor;
    private final int multiprocessors;
    private final int maxSharedMemoryPerBlock;
    private final long totalMemory;
    private volatile CUcontext context;
    private volatile StreamPool streams;

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        this.handle = new CUdevice();
        Cuda.check(JCudaDriver.cuDeviceGet(handle, ordinal), "cuDeviceGet(" + ordinal + ")");
        byte[] nameBytes = new byte[256];
        Cuda.check(JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, handle), "cuDeviceGetName");
        int length = 0;
        while (length < nameBytes.length && nameBytes[length] != 0) {
            length++;
        }
        this.name = new String(nameBytes, 0, length, StandardCharsets.UTF_8);
        this.computeMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        this.computeMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        this.multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        this.maxSharedMemoryPerBlock = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
        long[] bytes = new long[1];
        Cuda.check(JCudaDriver.cuDeviceTotalMem(bytes, handle), "cuDeviceTotalMem");
        this.totalMemory = bytes[0];
    }

    /** Every device the driver reports, in ordinal order. Throws {@link CudaUnavailableException} without CUDA. */
    public static List<CudaDevice> all() {
        List<CudaDevice> d = devices;
        if (d == null) {
            synchronized (CudaDevice.class) {
                if (devices == null) {
                    Cuda.requireAvailable();
                    List<CudaDevice> found = new ArrayList<>();
                    for (int i = 0; i < Cuda.deviceCount(); i++) {
                        found.add(new CudaDevice(i));
                    }
                    devices = List.copyOf(found);
                }
                d = devices;
            }
        }
        return d;
    }

    public static CudaDevice get(int ordinal) {
        List<CudaDevice> d = all();
        if (ordinal < 0 || ordinal >= d.size()) {
            throw new CudaUnavailableException("CUDA device " + ordinal + " does not exist: the driver reports "
                    + d.size() + (d.size() == 1 ? " device (ordinal 0)" : " devices (ordinals 0 to " + (d.size() - 1) + ")"));
        }
        return d.get(ordinal);
    }

    /** The device jconv uses by default: {@code -Djconv.cuda.device=N}, else {@code JCONV_CUDA_DEVICE=N}, else 0 ({@link Options#defaultDeviceIndex()}). */
    public static CudaDevice selected() {
        return get(Options.defaultDeviceIndex());
    }

    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    /** Whether this is the emulated driver's CPU stand-in device rather than a GPU (see {@link #EMULATED_NAME_PREFIX}). */
    public boolean isEmulated() {
        return name.startsWith(EMULATED_NAME_PREFIX);
    }

    /** e.g. 90 for sm_90 (compute capability 9.0). */
    public int computeCapability() {
        return computeMajor * 10 + computeMinor;
    }

    public int multiprocessorCount() {
        return multiprocessors;
    }

    /** Shared memory a block may use without opting in (48 KiB on every current GPU). */
    public int maxSharedMemoryPerBlock() {
        return maxSharedMemoryPerBlock;
    }

    public long totalMemory() {
        return totalMemory;
    }

    /** The primary context, retained on first call and kept for the life of the process; it stays inside this class. */
    private CUcontext context() {
        CUcontext c = context;
        if (c == null) {
            synchronized (this) {
                if (context == null) {
                    CUcontext retained = new CUcontext();
                    Cuda.check(JCudaDriver.cuDevicePrimaryCtxRetain(retained, handle),
                            "cuDevicePrimaryCtxRetain(device " + ordinal + ")");
                    context = retained;
                }
                c = context;
            }
        }
        return c;
    }

    /** Makes this device's primary context current on the calling thread. Call before any CUDA work. */
    public void makeCurrent() {
        Cuda.check(JCudaDriver.cuCtxSetCurrent(context()), "cuCtxSetCurrent(device " + ordinal + ")");
    }

    /** Free and total device memory now ({@code cuMemGetInfo}). */
    public MemoryInfo memoryInfo() {
        makeCurrent();
        long[] free = new long[1];
        long[] total = new long[1];
        Cuda.check(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
        return new MemoryInfo(free[0], total[0]);
    }

    /** Free and total device memory in bytes. */
    public record MemoryInfo(long free, long total) {
        public long used() {
            return total - free;
        }
    }

    /** Waits for all work on this device's context, from every thread ({@code cuCtxSynchronize}). */
    public void synchronize() {
        makeCurrent();
        Cuda.check(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize(device " + ordinal + ")");
    }

    /** The device-wide pool of streams that request threads borrow from; see {@link StreamPool}. */
    public StreamPool streams() {
        StreamPool p = streams;
        if (p == null) {
            synchronized (this) {
                if (streams == null) {
                    streams = new StreamPool(this);
                }
                p = streams;
            }
        }
        return p;
    }

    public DeviceBuffer allocate(long bytes) {
        return new DeviceBuffer(this, bytes);
    }

    public PinnedHostBuffer allocatePinned(long bytes) {
        return new PinnedHostBuffer(this, bytes);
    }

    /** A new stream owned by the caller (most code borrows one from {@link #streams()} instead). */
    public CudaStream createStream() {
        return new CudaStream(this);
    }

    /** Loads a PTX module from the class path, e.g. {@code "dev/jconv/cuda/conv2d_direct.ptx"}. */
    public PtxModule loadModule(String resource) {
        return PtxModule.load(this, resource);
    }

    /**
     * e.g. {@code "device 0: NVIDIA H200 (sm_90, 132 SMs, 139.8 GiB)"}; the emulated driver's device says
     * EMULATED first.
     */
    public String describe() {
        return (isEmulated() ? "EMULATED " : "") + "device " + ordinal + ": " + name + " (sm_" + computeCapability()
                + ", " + multiprocessors + " SMs, " + Sizes.bytes(totalMemory) + ")";
    }

    @Override
    public String toString() {
        return describe();
    }

    private int attribute(int attribute) {
        int[] value = new int[1];
        Cuda.check(JCudaDriver.cuDeviceGetAttribute(value, attribute, handle), "cuDeviceGetAttribute(" + attribute + ")");
        return value[0];
    }
}
