package dev.jconv.cuda;

/**
 * {@code torch.nn.MaxPool2d}'s forward ({@code native-kernels/max_pool2d.cu}): one thread per output element of
 * an NCHW tensor, padding as -inf, NaN propagating. {@code outH} and {@code outW} are PyTorch's output size
 * (with or without {@code ceil_mode}), computed by the caller. Pure data: launch configuration and arguments,
 * checkable without a GPU.
 *
 * @param planes {@code N * C}
 */
public record MaxPool2dKernel(int planes, int inH, int inW, int outH, int outW, int kernelH, int kernelW,
                              int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
    public static final String PTX = "dev/jconv/cuda/max_pool2d.ptx";
    public static final String NAME = "max_pool2d";
    /** MAX_POOL2D_BLOCK in max_pool2d.cu. */
    static final int BLOCK = 256;

    public MaxPool2dKernel {
        if (planes < 0 || inH < 0 || inW < 0 || outH < 0 || outW < 0 || kernelH < 1 || kernelW < 1 || strideH < 1
                || strideW < 1 || padH < 0 || padW < 0 || dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("invalid max_pool2d launch " + this);
        }
    }

    public long outputElements() {
        return (long) planes * outH * outW;
    }

    public LaunchConfig config() {
        long blocks = LaunchPlanner.ceilDiv(outputElements(), BLOCK);
        if (blocks > LaunchConfig.MAX_GRID_X) {
            throw new IllegalArgumentException("max_pool2d would need " + blocks + " blocks (limit "
                    + LaunchConfig.MAX_GRID_X + ")");
        }
        return LaunchConfig.of1d((int) Math.max(1, blocks), BLOCK, 0);
    }

    /** {@code input} and {@code output} are device addresses of distinct buffers. */
    public KernelArgs arguments(long input, long output) {
        return new KernelArgs().pointer("input", input).pointer("output", output)
                .i32("planes", planes).i32("in_h", inH).i32("in_w", inW).i32("out_h", outH).i32("out_w", outW)
                .i32("kernel_h", kernelH).i32("kernel_w", kernelW).i32("stride_h", strideH).i32("stride_w", strideW)
                .i32("pad_h", padH).i32("pad_w", padW).i32("dilation_h", dilationH).i32("dilation_w", dilationW);
    }

    /** Queues the pass on {@code stream}; nothing for an empty output. */
    public void launch(CudaKernel kernel, long input, long output, CudaStream stream) {
        if (outputElements() > 0) {
            kernel.launch(config(), stream, arguments(input, output));
        }
    }
}
