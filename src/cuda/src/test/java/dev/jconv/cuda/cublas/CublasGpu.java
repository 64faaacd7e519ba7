package dev.jconv.cuda.cublas;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jconv.backend.Availability;
import dev.jconv.backend.ConvBackend;
import dev.jconv.cuda.GpuTestSupport;
import org.junit.jupiter.api.Assumptions;

/**
 * The GPU-test rule for cublas. Like every GPU test it fails under JCONV_REQUIRE_GPU=1 when there is no
 * usable GPU; but a GPU host without CUDA 12's cuBLAS (a CUDA-13-only host, where JCublas 12.6.0 cannot
 * load) is a known, reported limitation, so there it skips with the reason unless
 * {@code JCONV_REQUIRE_CUBLAS=1} asks for cuBLAS too.
 */
final class CublasGpu {
    static final String REQUIRE_CUBLAS_ENV = "JCONV_REQUIRE_CUBLAS";

    private CublasGpu() {}

    static <B extends ConvBackend> B require(B backend) {
        GpuTestSupport.requireCudaDevice();
        Availability library = Cublas.libraryAvailability();
        if (!library.available()) {
            String why = "cublas cannot run on this GPU host: " + library.reason();
            if ("1".equals(System.getenv(REQUIRE_CUBLAS_ENV))) {
                fail(REQUIRE_CUBLAS_ENV + "=1 but " + why);
            }
            Assumptions.abort(why + " (set " + REQUIRE_CUBLAS_ENV + "=1 to fail instead)");
        }
        return GpuTestSupport.requireBackend(backend);
    }
}
