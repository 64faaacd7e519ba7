package dev.jconv.cpu;

import dev.jconv.backend.BackendProvider;
import dev.jconv.backend.ConvBackend;

/** Finds {@code cpu} for {@link dev.jconv.backend.Backends}: after the GPU backends, before the reference. */
public final class CpuBackendProvider implements BackendProvider {
    static final int RANK = 800;

    @Override
    public String name() {
        return CpuBackend.NAME;
    }

    @Override
    public int rank() {
        return RANK;
    }

    @Override
    public ConvBackend create() {
        return new CpuBackend();
    }
}
