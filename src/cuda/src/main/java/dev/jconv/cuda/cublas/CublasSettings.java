package dev.jconv.cuda.cublas;

import dev.jconv.Options;
import dev.jconv.cuda.vendor.Setting;

/**
 * The {@code cublas} backend's one setting, like PyTorch's {@code torch.backends.cuda.matmul.allow_tf32}
 * but off by default: {@link #TF32} ({@code JCONV_CUBLAS_TF32=1}) lets cuBLAS use TF32 tensor cores
 * ({@code CUBLAS_TF32_TENSOR_OP_MATH}); otherwise {@code CUBLAS_DEFAULT_MATH}, strict fp32 for SGEMM
 * (unless the environment sets {@code NVIDIA_TF32_OVERRIDE=1}, which overrides every library).
 */
public record CublasSettings(boolean allowTf32) {
    public static final Setting TF32 = new Setting("jconv.cublas.tf32", "JCONV_CUBLAS_TF32", false, "TF32 math in cuBLAS");
    public static final CublasSettings DEFAULTS = new CublasSettings(false);

    /** From the system properties and the environment, as {@link Options#defaults()} reads them. */
    public static CublasSettings fromEnvironment() {
        return of(Options.defaults());
    }

    /** The cuBLAS part of {@code options}. */
    public static CublasSettings of(Options options) {
        return new CublasSettings(options.cublasTf32());
    }

    public String describe() {
        return "math: " + (allowTf32 ? "TF32 allowed (CUBLAS_TF32_TENSOR_OP_MATH)"
                : "strict fp32 (CUBLAS_DEFAULT_MATH; " + TF32.howToEnable() + " allows TF32)");
    }
}
