package dev.jconv.cuda.cudnn;

import dev.jconv.cuda.vendor.DeviceMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jcuda.jcudnn.cudnnConvolutionFwdAlgo;
import jcuda.jcudnn.cudnnDeterminism;
import jcuda.jcudnn.cudnnMathType;

/**
 * Picking the forward algorithm from cuDNN's ranked candidates (heuristic or timed), as PyTorch does:
 * drop the ones cuDNN could not run, the nondeterministic ones when determinism is asked for and, in
 * strict fp32, the ones whose math type may use TF32; then take the first whose workspace can be
 * allocated, falling back to {@code IMPLICIT_GEMM} (which needs no workspace) when memory is short.
 * Pure logic: the workspace query and the allocator are passed in, so tests use fakes.
 */
public final class AlgorithmChoice {
    /** The algorithm that is always supported for fp32 NCHW and needs no workspace: the last resort. */
    public static final int FALLBACK_ALGO = cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;

    private AlgorithmChoice() {}

    /** One entry of {@code cudnnConvolutionFwdAlgoPerf}: cuDNN's result for one algorithm. */
    public record Candidate(int algo, int status, float timeMs, long workspaceBytes, int determinism, int mathType) {

        /** e.g. {@code IMPLICIT_PRECOMP_GEMM}. */
        public String algoName() {
            return algoName(algo);
        }

        public static String algoName(int algo) {
            return cudnnConvolutionFwdAlgo.stringFor(algo).replace("CUDNN_CONVOLUTION_FWD_ALGO_", "");
        }

        public boolean deterministic() {
            return determinism == cudnnDeterminism.CUDNN_DETERMINISTIC;
        }
    }

    /** The workspace cuDNN needs for an algorithm and math type ({@code cudnnGetConvolutionForwardWorkspaceSize}). */
    @FunctionalInterface
    public interface WorkspaceQuery {
        long bytes(int algo, int mathType);
    }

    /** Allocates device memory; throws a {@code CudaException} with {@code CUDA_ERROR_OUT_OF_MEMORY} when there is too little. */
    @FunctionalInterface
    public interface Allocator<B> {
        B allocate(long bytes);
    }

    /** What planning settled on: the algorithm, its workspace (null for 0 bytes) and, in words, how it was chosen. */
    public record Chosen<B>(Candidate candidate, long workspaceBytes, B workspace, String how) {}

    /** The math type a convolution descriptor starts with: strict fp32 is FMA only; TF32 lets cuDNN choose. */
    public static int descriptorMathType(CudnnSettings settings) {
        return settings.allowTf32() ? cudnnMathType.CUDNN_DEFAULT_MATH : cudnnMathType.CUDNN_FMA_MATH;
    }

    /** Whether a candidate's math type keeps to the settings: in strict fp32 only {@code CUDNN_FMA_MATH} can be trusted not to use TF32. */
    static boolean mathAllowed(int mathType, CudnnSettings settings) {
        return settings.allowTf32() || mathType == cudnnMathType.CUDNN_FMA_MATH;
    }

    /** The candidates that may be used, in cuDNN's order; {@code rejected} collects why the others were not. */
    public static List<Candidate> usable(List<Candidate> ranked, CudnnSettings settings, int successStatus,
                                         List<String> rejected) {
        List<Candidate> out = new ArrayList<>();
        for (Candidate c : ranked) {
            if (c.status() != successStatus) {
                rejected.add(c.algoName() + ": not supported for this shape");
            } else if (settings.deterministic() && !c.deterministic()) {
                rejected.add(c.algoName() + ": nondeterministic");
            } else if (!mathAllowed(c.mathType(), settings)) {
                rejected.add(c.algoName() + ": " + cudnnMathType.stringFor(c.mathType()) + " may use TF32");
            } else if (out.stream().noneMatch(o -> o.algo() == c.algo() && o.mathType() == c.mathType())) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * Takes the first usable candidate whose workspace (as {@code query} reports it) {@code allocator} can
     * provide; an out-of-memory failure moves on to the next, a failed query skips the candidate. When none
     * fits, falls back to {@link #FALLBACK_ALGO} in the settings' math type. {@code source} says where the
     * ranking came from ("heuristic", "benchmark"). Throws only when even the fallback cannot be set up.
     */
    public static <B> Chosen<B> choose(List<Candidate> ranked, String source, CudnnSettings settings, int successStatus,
                                       WorkspaceQuery query, Allocator<B> allocator) {
        List<String> notes = new ArrayList<>();
        List<Candidate> usable = usable(ranked, settings, successStatus, notes);
        for (int i = 0; i < usable.size(); i++) {
            Candidate c = usable.get(i);
            long bytes;
            try {
                bytes = query.bytes(c.algo(), c.mathType());
            } catch (RuntimeException e) {
                notes.add(c.algoName() + ": workspace query failed (" + e.getMessage() + ")");
                continue;
            }
            try {
                B workspace = bytes == 0 ? null : allocator.allocate(bytes);
                String how = source + " choice " + (i + 1) + " of " + usable.size() + " usable: " + c.algoName()
                        + (c.timeMs() > 0 && "benchmark".equals(source) ? String.format(Locale.ROOT, " (%.3f ms)", c.timeMs()) : "")
                        + ", workspace " + DeviceMemory.bytes(bytes) + (notes.isEmpty() ? "" : "; passed over: " + String.join(", ", notes));
                return new Chosen<>(c, bytes, workspace, how);
            } catch (RuntimeException e) {
                if (!DeviceMemory.isOutOfMemory(e)) {
                    throw e;
                }
                notes.add(c.algoName() + ": workspace " + DeviceMemory.bytes(bytes) + " did not fit in device memory");
            }
        }
        int math = descriptorMathType(settings);
        long bytes = query.bytes(FALLBACK_ALGO, math);
        B workspace = bytes == 0 ? null : allocator.allocate(bytes);
        Candidate fallback = new Candidate(FALLBACK_ALGO, successStatus, 0f, bytes, cudnnDeterminism.CUDNN_DETERMINISTIC, math);
        return new Chosen<>(fallback, bytes, workspace, "fallback " + fallback.algoName() + ", workspace "
                + DeviceMemory.bytes(bytes) + ": no " + source + " candidate could be used"
                + (notes.isEmpty() ? "" : " (" + String.join(", ", notes) + ")"));
    }
}
