package dev.jconv.cuda;

/** CUDA cannot be used on this machine (no driver, no device, driver too old); the message says why. */
public class CudaUnavailableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public CudaUnavailableException(String reason) {
        super(reason);
    }
}
