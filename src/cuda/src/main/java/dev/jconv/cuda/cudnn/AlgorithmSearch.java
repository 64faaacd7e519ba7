package dev.jconv.cuda.cudnn;

import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.DeviceBuffer;
import dev.jconv.cuda.cudnn.AlgorithmChoice.Candidate;
import dev.jconv.cuda.vendor.DeviceMemory;
import java.util.ArrayList;
import java.util.List;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnHandle;

/** The cuDNN calls that rank forward algorithms for a set of descriptors: the heuristic and the timed search. */
final class AlgorithmSearch {
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
        return candidates(perfs, returned[0]);
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
            Cudnn.check(JCudnn.cudnnFindConvolutionForwardAlgorithmEx(h, d.x, x.pointer(), d.w, w.pointer(), d.conv, d.y,
                    y.pointer(), perfs.length, returned, perfs, ws.pointer(), ws.byteSize()),
                    "cudnnFindConvolutionForwardAlgorithmEx(" + s.describe() + ", workspace " + DeviceMemory.bytes(ws.byteSize()) + ")");
            return candidates(perfs, returned[0]);
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

    private static cudnnConvolutionFwdAlgoPerf[] perfArray(int n) {
        cudnnConvolutionFwdAlgoPerf[] perfs = new cudnnConvolutionFwdAlgoPerf[n];
        for (int i = 0; i < n; i++) {
            perfs[i] = new cudnnConvolutionFwdAlgoPerf();
        }
        return perfs;
    }

    private static List<Candidate> candidates(cudnnConvolutionFwdAlgoPerf[] perfs, int returned) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < Math.min(returned, perfs.length); i++) {
            cudnnConvolutionFwdAlgoPerf p = perfs[i];
            out.add(new Candidate(p.algo, p.status, p.time, p.memory, p.determinism, p.mathType));
        }
        return out;
    }
}
