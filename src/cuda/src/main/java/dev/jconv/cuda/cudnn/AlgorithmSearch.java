package dev.jconv.cuda.cudnn;

import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.DeviceBuffer;
import dev.jconv.cuda.cudnn.AlgorithmChoice.Candidate;
import dev.jconv.cuda.internal.RawHandles;
import dev.jconv.cuda.vendor.DeviceMemory;
import java.util.ArrayList;
import java.util.List;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnHandle;

/**
 * The cuDNN calls that rank forward algorithms for a set of descriptors: the heuristic and the timed search.
 *
 * <p>JCudnn's natives (11.7 and 12.6.0) copy {@code algo}, {@code status}, {@code time}, {@code memory} and
 * {@code determinism} back from {@code cudnnConvolutionFwdAlgoPerf_t} but not {@code mathType}: every
 * candidate would read as {@code CUDNN_DEFAULT_MATH}, and strict fp32 would reject them all. So each
 * perf struct's {@code mathType} is set to {@link #MATH_TYPE_NOT_RETURNED} before the query; where it
 * is still that afterwards, the candidate ran with the math type the descriptor had during the query.
 */
final class AlgorithmSearch {
    /** No cudnnMathType_t has this value: it marks a mathType field the natives did not write. */
    static final int MATH_TYPE_NOT_RETURNED = -1;
    /** Below this, a workspace for the timed search is not worth having: search without one. */
    private static final long MIN_SEARCH_WORKSPACE = 1 << 20;

    private AlgorithmSearch() {}

    static int maxCount(cudnnHandle h) {
        int[] count = new int[1];
        Cudnn.check(JCudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(h, count), "cudnnGetConvolutionForwardAlgorithmMaxCount");
        return Math.max(1, count[0]);
    }

    /** cuDNN's heuristic ranking ({@code cudnnGetConvolutionForwardAlgorithm_v7}), best expected first. */
    static List<Candidate> heuristic(cudnnHandle h, CudnnDescriptors d, CudnnConvShape s) {
        cudnnConvolutionFwdAlgoPerf[] perfs = perfArray(maxCount(h));
        int[] returned = new int[1];
        Cudnn.check(JCudnn.cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, perfs.length, returned, perfs),
                "cudnnGetConvolutionForwardAlgorithm_v7(" + s.describe() + ")");
        return candidates(perfs, returned[0], d.mathType());
    }

    /**
     * Times the algorithms on scratch tensors of the plan's shape ({@code cudnnFindConvolutionForwardAlgorithmEx}),
     * fastest first. The search workspace is the largest any algorithm asks for, halved until it fits
     * (algorithms needing more are then not timed); all scratch is freed before returning.
     */
    static List<Candidate> timed(cudnnHandle h, CudnnDescriptors d, CudnnConvShape s, CudaDevice device) {
        long searchWorkspace = 0;
        int count = maxCount(h);
        for (int algo = 0; algo < count; algo++) {
            try {
                searchWorkspace = Math.max(searchWorkspace, workspaceBytes(h, d, s, algo));
            } catch (CudnnException unsupported) {
                // this algorithm cannot run the shape: it needs no room in the search workspace
            }
        }
        try (DeviceBuffer x = device.allocate(4 * s.inputElements());
             DeviceBuffer w = device.allocate(4 * s.filterElements());
             DeviceBuffer y = device.allocate(4 * s.outputElements());
             DeviceBuffer ws = allocateShrinking(device, searchWorkspace)) {
            // ordinary values, not zeros or garbage: denormals or NaNs in uninitialised memory could skew timings
            x.fill(0.5f);
            w.fill(0.25f);
            cudnnConvolutionFwdAlgoPerf[] perfs = perfArray(count);
            int[] returned = new int[1];
            device.makeCurrent();
            Cudnn.check(JCudnn.cudnnFindConvolutionForwardAlgorithmEx(h, d.x, RawHandles.pointer(x.address()), d.w,
                    RawHandles.pointer(w.address()), d.conv, d.y, RawHandles.pointer(y.address()), perfs.length, returned,
                    perfs, RawHandles.pointer(ws.address()), ws.byteSize()),
                    "cudnnFindConvolutionForwardAlgorithmEx(" + s.describe() + ", workspace " + DeviceMemory.bytes(ws.byteSize()) + ")");
            return candidates(perfs, returned[0], d.mathType());
        } catch (RuntimeException e) {
            if (DeviceMemory.isOutOfMemory(e)) {
                throw DeviceMemory.outOfMemory("cuDNN benchmark search for " + s.describe(),
                        4 * (s.inputElements() + s.filterElements() + s.outputElements()),
                        "scratch input, weight and output to time the algorithms on", device);
            }
            throw e;
        }
    }

    private static DeviceBuffer allocateShrinking(CudaDevice device, long bytes) {
        for (long b = bytes; ; b = b / 2 < MIN_SEARCH_WORKSPACE ? 0 : b / 2) {
            try {
                return device.allocate(b);
            } catch (RuntimeException e) {
                if (!DeviceMemory.isOutOfMemory(e) || b == 0) {
                    throw e;
                }
            }
        }
    }

    /** {@code cudnnGetConvolutionForwardWorkspaceSize} for the descriptors' current math type. */
    static long workspaceBytes(cudnnHandle h, CudnnDescriptors d, CudnnConvShape s, int algo) {
        long[] bytes = new long[1];
        Cudnn.check(JCudnn.cudnnGetConvolutionForwardWorkspaceSize(h, d.x, d.w, d.conv, d.y, algo, bytes),
                "cudnnGetConvolutionForwardWorkspaceSize(" + Candidate.algoName(algo) + ", " + s.describe() + ")");
        return bytes[0];
    }

    /** Perf structs for a query, each {@code mathType} marked {@link #MATH_TYPE_NOT_RETURNED}. */
    static cudnnConvolutionFwdAlgoPerf[] perfArray(int n) {
        cudnnConvolutionFwdAlgoPerf[] perfs = new cudnnConvolutionFwdAlgoPerf[n];
        for (int i = 0; i < n; i++) {
            perfs[i] = new cudnnConvolutionFwdAlgoPerf();
            perfs[i].mathType = MATH_TYPE_NOT_RETURNED;
        }
        return perfs;
    }

    /** The first {@code returned} perf structs as candidates; an unwritten math type is the descriptor's during the query. */
    static List<Candidate> candidates(cudnnConvolutionFwdAlgoPerf[] perfs, int returned, int descriptorMathType) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < Math.min(returned, perfs.length); i++) {
            cudnnConvolutionFwdAlgoPerf p = perfs[i];
            int math = p.mathType == MATH_TYPE_NOT_RETURNED ? descriptorMathType : p.mathType;
            out.add(new Candidate(p.algo, p.status, p.time, p.memory, p.determinism, math));
        }
        return out;
    }
}
