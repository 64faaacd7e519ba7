package dev.jconv.cuda;

import dev.jconv.ConvGeometry;
import dev.jconv.backend.BackendProvider;
import dev.jconv.backend.ConvBackend;
import dev.jconv.cuda.cudnn.CudnnBackend;
import dev.jconv.cuda.cudnn.CudnnBackendProvider;
import java.util.Optional;

/**
 * Finds {@code cuda-ptx} for {@link dev.jconv.backend.Backends}: after {@code cudnn}, except that grouped convolutions
 * with at most {@value LaunchPlanner#DIRECT_MAX_OUTPUTS_PER_GROUP} output channels per group (depthwise and
 * near-depthwise), the ones {@link LaunchPlanner} gives the direct kernel, try it before {@code cudnn}: that kernel reads each input element about once for those shapes, where
 * cuDNN's general kernels are known to be weak. That exception is a hypothesis until a GPU run measures it
 * (benchmarks/gpu-kit).
 */
public final class PtxBackendProvider implements BackendProvider {
    static final int RANK = 200;

    @Override
    public String name() {
        return PtxBackend.NAME;
    }

    @Override
    public int rank() {
        return RANK;
    }

    @Override
    public int rank(ConvGeometry geometry) {
        return ptxFirst(geometry) ? CudnnBackendProvider.RANK - 1 : RANK;
    }

    @Override
    public Optional<String> whyRanked(ConvGeometry geometry) {
        return ptxFirst(geometry) ? Optional.of("depthwise-like, " + geometry.outChannelsPerGroup() + " output channel(s)"
                + " per group: " + PtxBackend.NAME + " before " + CudnnBackend.NAME + ", expected faster there, not yet measured")
                : Optional.empty();
    }

    @Override
    public Optional<String> rankRule() {
        return Optional.of("grouped convolutions with at most " + LaunchPlanner.DIRECT_MAX_OUTPUTS_PER_GROUP + " output channels per"
                + " group (depthwise) try " + PtxBackend.NAME + " before " + CudnnBackend.NAME
                + " (expected faster there, not yet measured on a GPU)");
    }

    @Override
    public ConvBackend create() {
        return new PtxBackend();
    }

    private static boolean ptxFirst(ConvGeometry g) {
        return g.groups() > 1 && g.outChannelsPerGroup() <= LaunchPlanner.DIRECT_MAX_OUTPUTS_PER_GROUP;
    }
}
