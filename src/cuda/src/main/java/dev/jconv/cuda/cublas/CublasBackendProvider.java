package dev.jconv.cuda.cublas;

import dev.jconv.backend.BackendProvider;
import dev.jconv.backend.ConvBackend;

/**
 * Finds {@code cublas} for {@link dev.jconv.backend.Backends}, which runs it only when named: it is a baseline
 * (im2col + GEMM moves far more memory than cuDNN).
 */
public final class CublasBackendProvider implements BackendProvider {
    static final int RANK = 300;

    @Override
    public String name() {
        return CublasBackend.NAME;
    }

    @Override
    public int rank() {
        return RANK;
    }

    @Override
    public boolean namedOnly() {
        return true;
    }

    @Override
    public ConvBackend create() {
        return new CublasBackend();
    }
}
