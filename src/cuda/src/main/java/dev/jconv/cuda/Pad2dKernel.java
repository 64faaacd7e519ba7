package dev.jconv.cuda;

import dev.jconv.ConvGeometry;
import dev.jconv.PaddingMode;

/**
 * The pad pass ({@code native-kernels/pad2d.cu}): a padded copy of an NCHW tensor with PyTorch's
 * padding and padding mode applied, for libraries that only pad symmetrically with zeros (cuDNN).
 * Pure data: launch configuration and arguments, checkable without a GPU.
 *
 * @param planes  {@code N * C}
 * @param outH    {@code H + padTop + padBottom}
 * @param outW    {@code W + padLeft + padRight}
 */
public record Pad2dKernel(int planes, int inH, int inW, int outH, int outW, int padTop, int padLeft, PaddingMode mode) {
    public static final String PTX = "dev/jconv/cuda/pad2d.ptx";
    public static final String NAME = "pad2d";
    /** PAD2D_BLOCK in pad2d.cu. */
    static final int BLOCK = 256;

    public Pad2dKernel {
        if (outH < inH + padTop || outW < inW + padLeft || padTop < 0 || padLeft < 0) {
            throw new IllegalArgumentException("padded size " + outH + "x" + outW + " does not hold " + inH + "x" + inW
                    + " at offset (" + padTop + ", " + padLeft + ")");
        }
    }

    /** The pad pass for {@code g}'s input: every pad of {@code g} applied, in {@code g}'s padding mode. */
    public static Pad2dKernel forInput(ConvGeometry g) {
        return new Pad2dKernel(Math.multiplyExact(g.batch(), g.inChannels()), g.inHeight(), g.inWidth(),
                g.inHeight() + g.padTop() + g.padBottom(), g.inWidth() + g.padLeft() + g.padRight(),
                g.padTop(), g.padLeft(), g.paddingMode());
    }

    public long outputElements() {
        return (long) planes * outH * outW;
    }

    public long outputBytes() {
        return 4 * outputElements();
    }

    public LaunchConfig config() {
        long blocks = LaunchPlanner.ceilDiv(outputElements(), BLOCK);
        if (blocks > LaunchConfig.MAX_GRID_X) {
            throw new IllegalArgumentException("pad2d would need " + blocks + " blocks (limit " + LaunchConfig.MAX_GRID_X + ")");
        }
        return LaunchConfig.of1d((int) Math.max(1, blocks), BLOCK, 0);
    }

    /** {@code input} and {@code output} are device addresses. */
    public KernelArgs arguments(long input, long output) {
        return new KernelArgs().pointer("input", input).pointer("output", output)
                .i32("planes", planes).i32("in_h", inH).i32("in_w", inW).i32("out_h", outH).i32("out_w", outW)
                .i32("pad_top", padTop).i32("pad_left", padLeft)
                .i32("padding_mode", LaunchPlanner.paddingModeCode(mode));
    }

    /** Queues the pad pass on {@code stream}. */
    public void launch(CudaKernel kernel, long input, long output, CudaStream stream) {
        kernel.launch(config(), stream, arguments(input, output));
    }
}
