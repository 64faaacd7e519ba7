package dev.jconv.cuda;

/**
 * The standalone ReLU pass ({@code native-kernels/relu.cu}) of a network run on the device: one thread per
 * element of a contiguous tensor, counted as {@code planes * planeSize} so that every argument is an int.
 * Pure data: launch configuration and arguments, checkable without a GPU.
 */
public record ReluKernel(int planes, int planeSize) {
    public static final String PTX = "dev/jconv/cuda/relu.ptx";
    public static final String NAME = "relu";
    /** RELU_BLOCK in relu.cu. */
    static final int BLOCK = 256;

    public ReluKernel {
        if (planes < 0 || planeSize < 0) {
            throw new IllegalArgumentException("negative ReLU size " + planes + " x " + planeSize);
        }
    }

    /** The pass over a tensor of {@code shape}: its first dimension (1 for a scalar) times the rest. */
    public static ReluKernel forShape(int... shape) {
        int planes = shape.length == 0 ? 1 : shape[0];
        long rest = 1;
        for (int d = 1; d < shape.length; d++) {
            rest = Math.multiplyExact(rest, shape[d]);
        }
        return new ReluKernel(planes, Math.toIntExact(rest));
    }

    public long elements() {
        return (long) planes * planeSize;
    }

    public LaunchConfig config() {
        long blocks = LaunchPlanner.ceilDiv(elements(), BLOCK);
        if (blocks > LaunchConfig.MAX_GRID_X) {
            throw new IllegalArgumentException("relu would need " + blocks + " blocks (limit " + LaunchConfig.MAX_GRID_X + ")");
        }
        return LaunchConfig.of1d((int) Math.max(1, blocks), BLOCK, 0);
    }

    /** {@code input} and {@code output} are device addresses (they may be equal). */
    public KernelArgs arguments(long input, long output) {
        return new KernelArgs().pointer("input", input).pointer("output", output)
                .i32("planes", planes).i32("plane_size", planeSize);
    }

    /** Queues the pass on {@code stream}; nothing for an empty tensor. */
    public void launch(CudaKernel kernel, long input, long output, CudaStream stream) {
        if (elements() > 0) {
            kernel.launch(config(), stream, arguments(input, output));
        }
    }
}
