package dev.jconv.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * PTX loaded from the class path into one device's context ({@code cuModuleLoadData}: the driver
 * JIT-compiles it for that GPU, so users need a driver but no CUDA toolkit), and the kernels in it.
 * Before loading, the PTX ISA version is checked against the driver, so a too-old driver gets an error
 * naming the minimum driver instead of {@code CUDA_ERROR_UNSUPPORTED_PTX_VERSION}.
 */
public final class PtxModule extends NativeResource {
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_$][\\w$]*)\\s*\\(");

    private final CudaDevice device;
    private final String resource;
    private final CUmodule module = new CUmodule();
    private final ConcurrentHashMap<String, CudaKernel> kernels = new ConcurrentHashMap<>();

    private PtxModule(CudaDevice device, String resource, byte[] image) {
        this.device = device;
        this.resource = resource;
        device.makeCurrent();
        int result = JCudaDriver.cuModuleLoadData(module, image);
        if (result != CUresult.CUDA_SUCCESS) {
            String hint = null;
            if (result == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
                hint = "the NVIDIA driver is too old for this PTX; update it (jconv's kernels need Linux driver r580+)";
            } else if (result == CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU || result == CUresult.CUDA_ERROR_INVALID_PTX) {
                hint = "the driver could not compile it for " + device.describe();
            }
            throw new CudaException("cuModuleLoadData(" + resource + ")", result, hint);
        }
    }

    /** Reads, checks and loads {@code resource} (a class-path path such as {@code dev/jconv/cuda/x.ptx}). */
    static PtxModule load(CudaDevice device, String resource) {
        String text = readResource(resource);
        String tooOld = PtxIsa.of(text).unsupportedReason(Cuda.driverVersion());
        if (tooOld != null) {
            throw new CudaException(resource + " cannot be loaded: " + tooOld);
        }
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return new PtxModule(device, resource, Arrays.copyOf(bytes, bytes.length + 1));  // NUL-terminated
    }

    /** The text of a PTX resource; throws naming the resource if it is not on the class path. */
    public static String readResource(String resource) {
        try (InputStream in = PtxModule.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("PTX resource " + resource + " is not on the class path"
                        + " (it is built by native-kernels/build-ptx.sh into src/cuda/src/main/resources)");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read PTX resource " + resource, e);
        }
    }

    /** The kernel names ({@code .entry}) a PTX text defines, in order. */
    public static List<String> entries(String ptx) {
        List<String> names = new ArrayList<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    public CudaDevice device() {
        return device;
    }

    /** The kernel of that name, looked up once. */
    public CudaKernel kernel(String name) {
        ensureOpen();
        return kernels.computeIfAbsent(name, n -> {
            device.makeCurrent();
            CUfunction function = new CUfunction();
            int result = JCudaDriver.cuModuleGetFunction(function, module, n);
            if (result != CUresult.CUDA_SUCCESS) {
                throw new CudaException("cuModuleGetFunction(" + n + " in " + resource + ")", result,
                        result == CUresult.CUDA_ERROR_NOT_FOUND ? "the PTX defines no kernel named " + n : null);
            }
            return new CudaKernel(this, n, function);
        });
    }

    @Override
    protected String describe() {
        return "PtxModule(" + resource + " on device " + device.ordinal() + ")";
    }

    @Override
    protected void release() {
        kernels.clear();
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuModuleUnload(module), "cuModuleUnload(" + resource + ")");
    }

    /** Throws if the module was unloaded: its kernels cannot be launched any more. */
    void checkLoaded() {
        ensureOpen();
    }
}
