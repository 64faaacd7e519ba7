package dev.jconv.cpu;

import dev.jconv.backend.BackendProvider;
import dev.jconv.backend.ConvBackend;

/** Finds {@code cpu-reference} for {@link dev.jconv.backend.Backends}: last, the fallback that always runs. */
public final class ReferenceBackendProvider implements BackendProvider {
    static final int RANK = 900;

    @Override
    public String name() {
        return ReferenceBackend.NAME;
    }

    @Override
    public int rank() {
        return RANK;
    }

    @Override
    public ConvBackend create() {
        return new ReferenceBackend();
    }
}
