package dev.jconv.cuda.cudnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.cuda.CudaException;
import dev.jconv.cuda.cudnn.AlgorithmChoice.Candidate;
import dev.jconv.cuda.cudnn.AlgorithmChoice.Chosen;
import dev.jconv.cuda.vendor.DeviceMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUresult;
import jcuda.jcudnn.cudnnConvolutionFwdAlgo;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnDeterminism;
import jcuda.jcudnn.cudnnMathType;
import org.junit.jupiter.api.Test;

/**
 * Algorithm choice with fake cuDNN answers and a fake device allocator: filtering by status, determinism
 * and math type, the fall back to a zero-workspace algorithm when memory is short, and that a failed
 * plan keeps no memory.
 */
class AlgorithmChoiceTest {
    static final int OK = Cudnn.SUCCESS;
    static final int NOT_SUPPORTED = 3000;  // any non-success status
    static final int FMA = cudnnMathType.CUDNN_FMA_MATH;
    static final int DEFAULT = cudnnMathType.CUDNN_DEFAULT_MATH;
    static final int TENSOR_OP = cudnnMathType.CUDNN_TENSOR_OP_MATH;
    static final int DET = cudnnDeterminism.CUDNN_DETERMINISTIC;
    static final int NONDET = cudnnDeterminism.CUDNN_NON_DETERMINISTIC;
    static final int WINOGRAD = cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
    static final int FFT = cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_FFT;
    static final int PRECOMP = cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
    static final int IMPLICIT = cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;

    /** A device with {@code free} bytes: allocations beyond it fail like cuMemAlloc does; tracks what is live. */
    static final class FakeDevice implements AlgorithmChoice.Allocator<FakeDevice.Buffer> {
        long free;
        final List<Buffer> live = new ArrayList<>();
        final List<Long> attempts = new ArrayList<>();

        FakeDevice(long free) {
            this.free = free;
        }

        final class Buffer implements AutoCloseable {
            final long bytes;

            Buffer(long bytes) {
                this.bytes = bytes;
            }

            @Override
            public void close() {
                if (live.remove(this)) {
                    free += bytes;
                }
            }
        }

        @Override
        public Buffer allocate(long bytes) {
            attempts.add(bytes);
            if (bytes > free) {
                throw new CudaException("cuMemAlloc(" + DeviceMemory.bytes(bytes) + ")", CUresult.CUDA_ERROR_OUT_OF_MEMORY);
            }
            free -= bytes;
            Buffer b = new Buffer(bytes);
            live.add(b);
            return b;
        }
    }

    static Candidate candidate(int algo, int status, long workspace, int determinism, int math) {
        return new Candidate(algo, status, 0.1f, workspace, determinism, math);
    }

    /** Workspace sizes by algorithm, as cudnnGetConvolutionForwardWorkspaceSize would report them. */
    static AlgorithmChoice.WorkspaceQuery sizes(Map<Integer, Long> bytes) {
        return (algo, math) -> {
            Long b = bytes.get(algo);
            if (b == null) {
                throw new CudnnException("cudnnGetConvolutionForwardWorkspaceSize", NOT_SUPPORTED);
            }
            return b;
        };
    }

    @Test
    void strictFp32TakesTheFirstSupportedFmaCandidate() {
        List<Candidate> ranked = List.of(
                candidate(FFT, NOT_SUPPORTED, 0, DET, FMA),
                candidate(PRECOMP, OK, 1 << 20, DET, TENSOR_OP),
                candidate(WINOGRAD, OK, 8 << 20, DET, FMA),
                candidate(IMPLICIT, OK, 0, DET, FMA));
        FakeDevice device = new FakeDevice(1L << 30);
        Chosen<FakeDevice.Buffer> c = AlgorithmChoice.choose(ranked, "heuristic", CudnnSettings.DEFAULTS, OK,
                sizes(Map.of(WINOGRAD, 8L << 20, IMPLICIT, 0L, PRECOMP, 1L << 20)), device);
        assertEquals(WINOGRAD, c.candidate().algo());
        assertEquals(FMA, c.candidate().mathType());
        assertEquals(8L << 20, c.workspaceBytes());
        assertEquals(List.of(c.workspace()), device.live);
        assertTrue(c.how().startsWith("heuristic choice 1 of 2 usable: WINOGRAD_NONFUSED, workspace 8.0 MiB; passed over: "
                + "FFT: not supported for this shape, IMPLICIT_PRECOMP_GEMM: CUDNN_TENSOR_OP_MATH may use TF32"), c.how());
    }

    @Test
    void tf32AllowsTensorOpCandidatesAndStartsFromDefaultMath() {
        List<Candidate> ranked = List.of(candidate(PRECOMP, OK, 1 << 20, DET, TENSOR_OP), candidate(IMPLICIT, OK, 0, DET, FMA));
        CudnnSettings tf32 = CudnnSettings.DEFAULTS.withTf32(true);
        Chosen<FakeDevice.Buffer> c = AlgorithmChoice.choose(ranked, "heuristic", tf32, OK,
                sizes(Map.of(PRECOMP, 1L << 20, IMPLICIT, 0L)), new FakeDevice(1L << 30));
        assertEquals(PRECOMP, c.candidate().algo());
        assertEquals(TENSOR_OP, c.candidate().mathType());
        assertEquals(DEFAULT, AlgorithmChoice.descriptorMathType(tf32));
        assertEquals(FMA, AlgorithmChoice.descriptorMathType(CudnnSettings.DEFAULTS));
    }

    @Test
    void deterministicModeSkipsNondeterministicCandidates() {
        List<Candidate> ranked = List.of(candidate(FFT, OK, 0, NONDET, FMA), candidate(PRECOMP, OK, 0, DET, FMA));
        Chosen<FakeDevice.Buffer> c = AlgorithmChoice.choose(ranked, "benchmark", CudnnSettings.DEFAULTS.withDeterministic(true),
                OK, sizes(Map.of(FFT, 0L, PRECOMP, 0L)), new FakeDevice(0));
        assertEquals(PRECOMP, c.candidate().algo());
        assertNull(c.workspace(), "no workspace, no allocation");
        assertTrue(c.how().contains("FFT: nondeterministic"), c.how());
        Chosen<FakeDevice.Buffer> any = AlgorithmChoice.choose(ranked, "benchmark", CudnnSettings.DEFAULTS, OK,
                sizes(Map.of(FFT, 0L, PRECOMP, 0L)), new FakeDevice(0));
        assertEquals(FFT, any.candidate().algo());
    }

    @Test
    void whenTheFastWorkspacesDoNotFitTheNextCandidateIsTakenAndNothingLeaks() {
        List<Candidate> ranked = List.of(candidate(FFT, OK, 0, DET, FMA), candidate(WINOGRAD, OK, 0, DET, FMA),
                candidate(PRECOMP, OK, 0, DET, FMA));
        FakeDevice device = new FakeDevice(64L << 20);
        Chosen<FakeDevice.Buffer> c = AlgorithmChoice.choose(ranked, "heuristic", CudnnSettings.DEFAULTS, OK,
                sizes(Map.of(FFT, 2L << 30, WINOGRAD, 512L << 20, PRECOMP, 16L << 20, IMPLICIT, 0L)), device);
        assertEquals(PRECOMP, c.candidate().algo());
        assertEquals(List.of(2L << 30, 512L << 20, 16L << 20), device.attempts);
        assertEquals(1, device.live.size());
        assertEquals(48L << 20, device.free);
        assertTrue(c.how().contains("FFT: workspace 2.0 GiB did not fit in device memory, WINOGRAD_NONFUSED: workspace 512.0 MiB"
                + " did not fit in device memory"), c.how());
    }

    @Test
    void withNoMemoryAtAllItFallsBackToImplicitGemmWithoutWorkspace() {
        List<Candidate> ranked = List.of(candidate(FFT, OK, 0, DET, FMA), candidate(WINOGRAD, OK, 0, DET, FMA));
        FakeDevice device = new FakeDevice(0);
        Chosen<FakeDevice.Buffer> c = AlgorithmChoice.choose(ranked, "heuristic", CudnnSettings.DEFAULTS, OK,
                sizes(Map.of(FFT, 1L << 20, WINOGRAD, 1L << 20, IMPLICIT, 0L)), device);
        assertEquals(IMPLICIT, c.candidate().algo());
        assertEquals(FMA, c.candidate().mathType(), "the fallback keeps strict fp32");
        assertEquals(0, c.workspaceBytes());
        assertNull(c.workspace());
        assertTrue(device.live.isEmpty());
        assertTrue(c.how().startsWith("fallback IMPLICIT_GEMM, workspace 0 bytes: no heuristic candidate could be used"), c.how());
    }

    @Test
    void anEmptyOrUnusableRankingAlsoFallsBack() {
        Chosen<FakeDevice.Buffer> c = AlgorithmChoice.choose(List.of(candidate(PRECOMP, OK, 0, DET, DEFAULT)), "heuristic",
                CudnnSettings.DEFAULTS, OK, sizes(Map.of(IMPLICIT, 0L)), new FakeDevice(0));
        assertEquals(IMPLICIT, c.candidate().algo());
        assertTrue(c.how().contains("IMPLICIT_PRECOMP_GEMM: CUDNN_DEFAULT_MATH may use TF32"), c.how());
    }

    @Test
    void aFailedWorkspaceQuerySkipsTheCandidate() {
        List<Candidate> ranked = List.of(candidate(FFT, OK, 0, DET, FMA), candidate(PRECOMP, OK, 0, DET, FMA));
        Chosen<FakeDevice.Buffer> c = AlgorithmChoice.choose(ranked, "heuristic", CudnnSettings.DEFAULTS, OK,
                sizes(Map.of(PRECOMP, 0L)), new FakeDevice(0));
        assertEquals(PRECOMP, c.candidate().algo());
        assertTrue(c.how().contains("FFT: workspace query failed (cudnnGetConvolutionForwardWorkspaceSize failed: cuDNN status"
                + " 3000)"), c.how());
    }

    @Test
    void whenEvenTheFallbackCannotGetItsWorkspaceTheOutOfMemoryErrorSurfacesAndNothingIsKept() {
        FakeDevice device = new FakeDevice(1 << 10);
        CudaException e = assertThrows(CudaException.class, () -> AlgorithmChoice.choose(
                List.of(candidate(FFT, OK, 0, DET, FMA)), "heuristic", CudnnSettings.DEFAULTS, OK,
                sizes(Map.of(FFT, 1L << 20, IMPLICIT, 1L << 20)), device));
        assertTrue(DeviceMemory.isOutOfMemory(e), e.getMessage());
        assertTrue(device.live.isEmpty());
        assertEquals(1 << 10, device.free);
    }

    @Test
    void otherAllocationFailuresAreNotMistakenForShortMemory() {
        AlgorithmChoice.Allocator<Object> broken = bytes -> {
            throw new CudaException("cuMemAlloc", CUresult.CUDA_ERROR_ILLEGAL_ADDRESS);
        };
        CudaException e = assertThrows(CudaException.class, () -> AlgorithmChoice.choose(
                List.of(candidate(FFT, OK, 0, DET, FMA)), "heuristic", CudnnSettings.DEFAULTS, OK,
                sizes(Map.of(FFT, 1L << 20, IMPLICIT, 0L)), broken));
        assertEquals(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, e.result());
    }

    @Test
    void duplicatesOfTheSameAlgorithmAndMathAreTriedOnce() {
        List<String> rejected = new ArrayList<>();
        List<Candidate> usable = AlgorithmChoice.usable(List.of(candidate(PRECOMP, OK, 0, DET, FMA),
                candidate(PRECOMP, OK, 0, DET, FMA)), CudnnSettings.DEFAULTS, OK, rejected);
        assertEquals(1, usable.size());
        assertTrue(rejected.isEmpty());
    }

    /**
     * JCudnn's natives leave {@code mathType} of the perf structs unwritten: the sentinel set before the
     * query stays, and the candidate takes the descriptor's math type (FMA in strict fp32), so strict fp32
     * keeps the fast algorithms instead of falling back to IMPLICIT_GEMM.
     */
    @Test
    void aMathTypeTheNativesDidNotWriteIsTheDescriptorsAndPassesStrictFp32() {
        cudnnConvolutionFwdAlgoPerf[] perfs = AlgorithmSearch.perfArray(3);
        perfs[0].algo = WINOGRAD;  // as the natives fill them: algo, status, time, memory, determinism
        perfs[0].status = OK;
        perfs[0].determinism = DET;
        perfs[1].algo = PRECOMP;
        perfs[1].status = OK;
        perfs[1].determinism = DET;
        perfs[1].mathType = TENSOR_OP;  // natives that do copy it back are believed
        List<Candidate> ranked = AlgorithmSearch.candidates(perfs, 2, FMA);
        assertEquals(List.of(FMA, TENSOR_OP), ranked.stream().map(Candidate::mathType).toList());
        List<String> rejected = new ArrayList<>();
        List<Candidate> usable = AlgorithmChoice.usable(ranked, CudnnSettings.DEFAULTS, OK, rejected);
        assertEquals(List.of(WINOGRAD), usable.stream().map(Candidate::algo).toList());
        assertEquals(1, rejected.size(), rejected.toString());
    }

    @Test
    void withoutTheSentinelEveryUnwrittenCandidateWouldReadAsDefaultMathAndBeRejected() {
        cudnnConvolutionFwdAlgoPerf unmarked = new cudnnConvolutionFwdAlgoPerf();  // what the natives leave: 0
        assertEquals(DEFAULT, unmarked.mathType);
        assertEquals(FMA, AlgorithmSearch.candidates(AlgorithmSearch.perfArray(1), 1, FMA).get(0).mathType());
    }
}
