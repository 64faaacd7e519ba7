package dev.jconv.cuda.cudnn;

import dev.jconv.cuda.CudaException;

/**
 * A cuDNN call failed. The message names the call (with the shape where that helps) and cuDNN's status
 * string, e.g. {@code cudnnConvolutionForward(x [1, 3, 8, 8] ...) failed: CUDNN_STATUS_BAD_PARAM (cuDNN status 2000)}.
 */
public class CudnnException extends CudaException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public CudnnException(String call, int status) {
        super(call + " failed: " + Cudnn.statusName(status)
                + (Cudnn.statusName(status).equals("cuDNN status " + status) ? "" : " (cuDNN status " + status + ")"));
        this.status = status;
    }

    /** cuDNN's {@code cudnnStatus_t} value. */
    public int status() {
        return status;
    }
}
