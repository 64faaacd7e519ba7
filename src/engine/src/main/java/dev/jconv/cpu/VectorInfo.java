package dev.jconv.cpu;

/** Names the vector shape the kernels run with; loaded only when the Vector API module is present. */
final class VectorInfo {
    private VectorInfo() {}

    static String describe() {
        return GemmKernel.F.vectorBitSize() + "-bit FloatVector (" + GemmKernel.LANES + " lanes)";
    }
}
