package dev.jconv.cuda.cudnn;

import dev.jconv.backend.BackendProvider;
import dev.jconv.backend.ConvBackend;

/** Finds {@code cudnn} for {@link dev.jconv.backend.Backends}: first, as PyTorch prefers cuDNN on a GPU. */
public final class CudnnBackendProvider implements BackendProvider {
    public static final int RANK = 100;

    @Override
    public String name() {
        return CudnnBackend.NAME;
    }

    @Override
    public int rank() {
        return RANK;
    }

    @Override
    public ConvBackend create() {
        return new CudnnBackend();
    }
}
