package dev.jconv.cuda;

import dev.jconv.ConvGeometry;

/**
 * How one {@link ConvGeometry} runs on jconv's kernels: which kernel, its launch configuration, and
 * the arguments it takes, in the order of its CUDA signature. Made by {@link LaunchPlanner}; pure data,
 * no GPU needed to build or inspect one.
 */
public sealed interface ConvLaunch permits ConvLaunch.Direct, ConvLaunch.ImplicitGemm {

    ConvGeometry geometry();

    /** The class-path resource of the PTX that holds the kernel. */
    String ptxResource();

    /** The kernel's {@code .entry} name. */
    String kernelName();

    LaunchConfig config();

    /** Device memory the plan keeps for this launch (beyond the tensors), in bytes. */
    default long scratchBytes() {
        return 0;
    }

    /** Why this kernel, in a phrase, for {@code --explain}. */
    String reason();

    /**
     * The kernel arguments, tensors as device addresses. {@code bias} may be 0 (none); {@code taps} is the plan's
     * table from {@link LaunchPlanner#taps} (ignored by kernels that need none).
     */
    KernelArgs arguments(long input, long weight, long bias, long output, long taps, boolean fuseRelu);

    default String describe() {
        return kernelName() + " (" + reason() + "), " + config();
    }

    /** {@code conv2d_direct}: one thread per output pixel of a 32x8 tile, input window in shared memory. */
    record Direct(ConvGeometry geometry, LaunchConfig config, int tilesX, int tilesY, int inTileH, int inTileW,
                  String reason) implements ConvLaunch {
        @Override
        public String ptxResource() {
            return LaunchPlanner.DIRECT_PTX;
        }

        @Override
        public String kernelName() {
            return "conv2d_direct";
        }

        @Override
        public KernelArgs arguments(long input, long weight, long bias, long output, long taps, boolean fuseRelu) {
            ConvGeometry g = geometry;
            return new KernelArgs()
                    .pointer("input", input).pointer("weight", weight).pointer("bias", bias).pointer("output", output)
                    .i32("in_channels", g.inChannels()).i32("in_h", g.inHeight()).i32("in_w", g.inWidth())
                    .i32("out_channels", g.outChannels()).i32("out_h", g.outHeight()).i32("out_w", g.outWidth())
                    .i32("kernel_h", g.kernelH()).i32("kernel_w", g.kernelW())
                    .i32("stride_h", g.strideH()).i32("stride_w", g.strideW())
                    .i32("dil_h", g.dilationH()).i32("dil_w", g.dilationW())
                    .i32("pad_top", g.padTop()).i32("pad_left", g.padLeft())
                    .i32("groups", g.groups()).i32("padding_mode", LaunchPlanner.paddingModeCode(g.paddingMode()))
                    .flag("fuse_relu", fuseRelu)
                    .i32("tiles_x", tilesX).i32("tiles_y", tilesY).i32("in_tile_h", inTileH).i32("in_tile_w", inTileW);
        }
    }

    /** {@code conv2d_igemm_BMxBN}: tiled implicit GEMM, im2col gathered on the fly through a tap table. */
    record ImplicitGemm(ConvGeometry geometry, LaunchConfig config, int tileM, int tileN, int reduction, int gemmN,
                        boolean vectorA, boolean vectorB, boolean vectorOut, String reason) implements ConvLaunch {
        @Override
        public String ptxResource() {
            return LaunchPlanner.IMPLICIT_GEMM_PTX;
        }

        @Override
        public String kernelName() {
            return "conv2d_igemm_" + tileM + "x" + tileN;
        }

        /** The tap table: 4 ints per reduction index. */
        @Override
        public long scratchBytes() {
            return 16L * reduction;
        }

        @Override
        public KernelArgs arguments(long input, long weight, long bias, long output, long taps, boolean fuseRelu) {
            ConvGeometry g = geometry;
            return new KernelArgs()
                    .pointer("input", input).pointer("weight", weight).pointer("bias", bias).pointer("output", output)
                    .pointer("taps", taps)
                    .i32("in_channels", g.inChannels()).i32("in_h", g.inHeight()).i32("in_w", g.inWidth())
                    .i32("out_channels", g.outChannels()).i32("out_h", g.outHeight()).i32("out_w", g.outWidth())
                    .i32("stride_h", g.strideH()).i32("stride_w", g.strideW())
                    .i32("pad_top", g.padTop()).i32("pad_left", g.padLeft())
                    .i32("groups", g.groups()).i32("padding_mode", LaunchPlanner.paddingModeCode(g.paddingMode()))
                    .flag("fuse_relu", fuseRelu)
                    .i32("reduction", reduction).i32("gemm_n", gemmN)
                    .flag("vector_a", vectorA).flag("vector_b", vectorB).flag("vector_out", vectorOut);
        }
    }
}
