package dev.jconv.cuda.cudnn;

import dev.jconv.Options;
import dev.jconv.cuda.vendor.Setting;
import java.util.function.UnaryOperator;

/**
 * How the {@code cudnn} backend chooses algorithms and math, like PyTorch's
 * {@code torch.backends.cudnn.benchmark / deterministic / allow_tf32}, except that TF32 is off by
 * default (jconv's results must match the fp32 reference):
 * <ul>
 *   <li>{@link #BENCHMARK} ({@code JCONV_CUDNN_BENCHMARK=1}): time the candidate algorithms once per full
 *       parameter set with {@code cudnnFindConvolutionForwardAlgorithmEx} and keep the fastest (cached for
 *       the process); default: cuDNN's heuristic ({@code cudnnGetConvolutionForwardAlgorithm_v7}), no timing.</li>
 *   <li>{@link #DETERMINISTIC} ({@code JCONV_CUDNN_DETERMINISTIC=1}): only algorithms cuDNN reports as
 *       deterministic (bit-identical results run to run).</li>
 *   <li>{@link #TF32} ({@code JCONV_CUDNN_TF32=1}): allow TF32 tensor-core math ({@code CUDNN_DEFAULT_MATH}
 *       on Ampere and newer; results within about 5e-3 relative). Default: strict fp32 ({@code CUDNN_FMA_MATH}).</li>
 * </ul>
 * Read when the backend is first used; the system property (e.g. {@code -Djconv.cudnn.benchmark=true})
 * wins over the environment variable.
 */
public record CudnnSettings(boolean benchmark, boolean deterministic, boolean allowTf32) {
    public static final Setting BENCHMARK = new Setting("jconv.cudnn.benchmark", "JCONV_CUDNN_BENCHMARK", false,
            "cuDNN benchmark mode");
    public static final Setting DETERMINISTIC = new Setting("jconv.cudnn.deterministic", "JCONV_CUDNN_DETERMINISTIC",
            false, "deterministic cuDNN algorithms");
    public static final Setting TF32 = new Setting("jconv.cudnn.tf32", "JCONV_CUDNN_TF32", false, "TF32 math in cuDNN");

    /** Heuristic, nondeterministic allowed, strict fp32: the defaults. */
    public static final CudnnSettings DEFAULTS = new CudnnSettings(false, false, false);

    /** From the system properties and the environment, as {@link Options#defaults()} reads them. */
    public static CudnnSettings fromEnvironment() {
        return of(Options.defaults());
    }

    /** The cuDNN part of {@code options}. */
    public static CudnnSettings of(Options options) {
        return new CudnnSettings(options.cudnnBenchmark(), options.cudnnDeterministic(), options.cudnnTf32());
    }

    static CudnnSettings from(UnaryOperator<String> properties, UnaryOperator<String> environment) {
        return new CudnnSettings(BENCHMARK.value(properties, environment), DETERMINISTIC.value(properties, environment),
                TF32.value(properties, environment));
    }

    public CudnnSettings withBenchmark(boolean on) {
        return new CudnnSettings(on, deterministic, allowTf32);
    }

    public CudnnSettings withDeterministic(boolean on) {
        return new CudnnSettings(benchmark, on, allowTf32);
    }

    public CudnnSettings withTf32(boolean on) {
        return new CudnnSettings(benchmark, deterministic, on);
    }

    /** For {@code jconv info}: each setting, its value, and how to change it. */
    public String describe() {
        return "algorithm choice: " + (benchmark ? "benchmark (cudnnFindConvolutionForwardAlgorithmEx once per shape, cached)"
                : "heuristic (cudnnGetConvolutionForwardAlgorithm_v7; " + BENCHMARK.howToEnable() + " to time candidates)")
                + "; math: " + (allowTf32 ? "TF32 allowed (CUDNN_DEFAULT_MATH)"
                : "strict fp32 (CUDNN_FMA_MATH; " + TF32.howToEnable() + " allows TF32)")
                + "; " + (deterministic ? "deterministic algorithms only" : "nondeterministic algorithms allowed");
    }
}
