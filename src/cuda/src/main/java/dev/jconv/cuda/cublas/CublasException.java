package dev.jconv.cuda.cublas;

import dev.jconv.cuda.CudaException;
import jcuda.jcublas.cublasStatus;

/**
 * A cuBLAS call failed. The message names the call with its dimensions and cuBLAS's status name, e.g.
 * {@code cublasSgemmStridedBatched(m=3136, n=64, k=576, batch=32) failed: CUBLAS_STATUS_EXECUTION_FAILED (cuBLAS status 13)}.
 */
public class CublasException extends CudaException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public CublasException(String call, int status) {
        super(call + " failed: " + cublasStatus.stringFor(status) + " (cuBLAS status " + status + ")");
        this.status = status;
    }

    /** cuBLAS's {@code cublasStatus_t} value. */
    public int status() {
        return status;
    }
}
