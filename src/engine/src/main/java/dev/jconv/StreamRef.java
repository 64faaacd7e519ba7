package dev.jconv;

/**
 * A CUDA stream as plain Java values: its raw handle ({@code CUstream} / {@code cudaStream_t} as a number,
 * {@code torch.cuda.current_stream().cuda_stream} in PyTorch; 0 is the legacy default stream) and its device
 * ordinal. jconv queues work on it and never destroys it; the caller orders later work after it (the same
 * stream, an event, or a synchronize).
 */
public record StreamRef(long handle, int deviceIndex) {

    public StreamRef {
        if (deviceIndex < 0) {
            throw new IllegalArgumentException("device index must not be negative, got " + deviceIndex);
        }
    }

    @Override
    public String toString() {
        return "StreamRef(0x" + Long.toHexString(handle) + " on device " + deviceIndex + ")";
    }
}
