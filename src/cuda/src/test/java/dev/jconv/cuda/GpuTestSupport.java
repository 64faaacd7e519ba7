package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jconv.backend.Availability;
import dev.jconv.backend.ConvBackend;
import dev.jconv.testkit.BackendAssumptions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one rule for GPU tests: without a usable GPU they are skipped with the reason, except when the
 * environment sets {@code JCONV_REQUIRE_GPU=1} (the GPU test kit does), where they fail instead, so a
 * GPU run can never pass by skipping. GPU test classes also carry {@code @Tag("gpu")}.
 */
public final class GpuTestSupport {
    /** The same switch as {@link BackendAssumptions} (the test kit's backend-level helper) uses. */
    public static final String REQUIRE_GPU_ENV = BackendAssumptions.REQUIRE_GPU;
    public static final String GPU_TAG = "gpu";
    /**
     * Set by the GPU kit (benchmarks/gpu-kit/run.sh) to the reason when its preflight found the host's
     * libcudnn.so.9 lacking functions jconv calls: cudnn tests then skip with it even under
     * {@code JCONV_REQUIRE_GPU=1}, since calling such a function would end the JVM.
     */
    public static final String SKIP_CUDNN_ENV = "JCONV_SKIP_CUDNN";

    private GpuTestSupport() {}

    public static boolean gpuRequired() {
        return "1".equals(System.getenv(REQUIRE_GPU_ENV));
    }

    /** The selected CUDA device; skips (or fails, see class comment) when CUDA cannot be used here. */
    public static CudaDevice requireCudaDevice() {
        require("CUDA", Cuda.availability());
        try {
            return CudaDevice.selected();
        } catch (RuntimeException e) {
            require("CUDA", Availability.no(e.getMessage()));
            throw e;
        }
    }

    /** Skips (or fails) unless {@code backend} is available here; returns it. */
    public static <B extends ConvBackend> B requireBackend(B backend) {
        String cudnnSkipped = System.getenv(SKIP_CUDNN_ENV);
        Assumptions.assumeFalse(backend.name().equals("cudnn") && cudnnSkipped != null,
                () -> "cudnn skipped by the GPU kit's preflight: " + cudnnSkipped);
        require("backend " + backend.name(), backend.availability());
        return backend;
    }

    /**
     * Whether CUDA here is jconv's emulated driver (a CPU stand-in, see {@link CudaDevice#EMULATED_NAME_PREFIX}):
     * GPU tests then keep their shapes and repetitions small, and nothing they measure is a GPU result.
     */
    public static boolean emulated() {
        return Cuda.isAvailable() && Cuda.isEmulated();
    }

    /** For tests of the no-GPU behaviour: skips when a GPU is present (there the behaviour cannot be seen). */
    public static String requireNoCuda() {
        Availability a = Cuda.availability();
        Assumptions.assumeFalse(a.available(), "CUDA is available here (" + a.reason() + "); this test pins the no-GPU behaviour");
        return a.reason();
    }

    private static void require(String what, Availability a) {
        if (a.available()) {
            return;
        }
        if (gpuRequired()) {
            fail(REQUIRE_GPU_ENV + "=1 but " + what + " is unavailable: " + a.reason());
        }
        Assumptions.abort("no usable GPU, skipped: " + what + " is unavailable: " + a.reason()
                + " (set " + REQUIRE_GPU_ENV + "=1 to fail instead)");
    }
}
