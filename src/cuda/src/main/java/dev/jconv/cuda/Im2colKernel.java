package dev.jconv.cuda;

import dev.jconv.ConvGeometry;

/**
 * im2col ({@code native-kernels/im2col.cu}) for a chunk of images of one geometry: the column matrix
 * {@code [images][C*R*S][Hout*Wout]} that a GEMM multiplies by the weights. Pure data: launch
 * configuration and arguments, checkable without a GPU.
 */
public record Im2colKernel(ConvGeometry geometry) {
    public static final String PTX = "dev/jconv/cuda/im2col.ptx";
    public static final String NAME = "im2col";
    /** IM2COL_BLOCK in im2col.cu. */
    static final int BLOCK = 256;

    /** Floats of column matrix per image: {@code C * R * S * Hout * Wout}. */
    public long columnFloatsPerImage() {
        ConvGeometry g = geometry;
        return (long) g.inChannels() * g.kernelH() * g.kernelW() * g.outHeight() * g.outWidth();
    }

    public LaunchConfig config(int images) {
        ConvGeometry g = geometry;
        long threads = (long) images * g.inChannels() * g.outHeight() * g.outWidth();
        long blocks = LaunchPlanner.ceilDiv(threads, BLOCK);
        if (blocks > LaunchConfig.MAX_GRID_X) {
            throw new IllegalArgumentException("im2col would need " + blocks + " blocks (limit " + LaunchConfig.MAX_GRID_X + ")");
        }
        return LaunchConfig.of1d((int) Math.max(1, blocks), BLOCK, 0);
    }

    /** {@code input} is the device address of the chunk's first image, {@code columns} of the column matrix. */
    public KernelArgs arguments(long input, long columns, int images) {
        ConvGeometry g = geometry;
        return new KernelArgs().pointer("input", input).pointer("col", columns)
                .i32("images", images).i32("channels", g.inChannels()).i32("in_h", g.inHeight()).i32("in_w", g.inWidth())
                .i32("out_h", g.outHeight()).i32("out_w", g.outWidth())
                .i32("kernel_h", g.kernelH()).i32("kernel_w", g.kernelW())
                .i32("stride_h", g.strideH()).i32("stride_w", g.strideW())
                .i32("dil_h", g.dilationH()).i32("dil_w", g.dilationW())
                .i32("pad_top", g.padTop()).i32("pad_left", g.padLeft())
                .i32("padding_mode", LaunchPlanner.paddingModeCode(g.paddingMode()));
    }

    public void launch(CudaKernel kernel, long input, long columns, int images, CudaStream stream) {
        kernel.launch(config(images), stream, arguments(input, columns, images));
    }
}
