package dev.jconv.cuda;

import jcuda.driver.CUresult;

/**
 * A CUDA driver call failed. The message names the call (with the sizes involved where that helps)
 * and the driver's error name and description, e.g.
 * {@code cuMemAlloc(2.0 GiB) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)}.
 */
public class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int result;

    public CudaException(String call, int result) {
        this(call, result, null);
    }

    /** {@code hint} (may be null) is appended: what the user can do about it. */
    public CudaException(String call, int result, String hint) {
        super(call + " failed: " + Cuda.errorName(result) + " (" + Cuda.errorDescription(result) + ")"
                + (hint == null ? "" : "; " + hint));
        this.call = call;
        this.result = result;
    }

    /** For failures that are not a driver status, e.g. a driver too old for our PTX. */
    public CudaException(String message) {
        super(message);
        this.call = null;
        this.result = CUresult.CUDA_SUCCESS;
    }

    /** The failed call as named in the message, or null when the failure was not a driver status. */
    public String call() {
        return call;
    }

    /** The driver's {@code CUresult} code, {@code CUDA_SUCCESS} (0) when the failure was not a driver status. */
    public int result() {
        return result;
    }
}
