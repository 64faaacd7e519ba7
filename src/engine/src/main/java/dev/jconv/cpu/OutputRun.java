package dev.jconv.cpu;

/**
 * Where a {@link ChannelGemmKernel#NARROW} kernel ({@link ChannelGemmKernel#tile2x6}, {@link StemKernel}'s 2 x 6
 * tiles) writes its finished tile itself when the tile's six pixels are six consecutive outputs of every channel:
 * {@code tile[i * 16 + c]} (at AVX2's width) plus bias, then the post-op, to {@code out[at + c * plane + i]}, channel
 * by channel, each channel's six values at constant offsets from one index ({@link #store}). The channel GEMM's and
 * {@link StemPlan}'s NCHW outputs, and the Winograd plans' products {@code M} (six tiles of a row, no bias).
 *
 * <p>Why the kernel stores and not its caller: called from the plans' tile loops these stores were inlined there,
 * where C2 had too few registers left and reloaded the tile's and the output's array references from the stack for
 * every value (about 40 instructions per channel's six values, against 33 in a method of its own; read in
 * {@code -XX:+PrintAssembly}). The kernels are too large to inline, and after their loops the registers are free.
 * Measured on a 2-core AMD EPYC (Zen 3, AVX2 only), both builds in one JVM ({@code benchmarks/ab/two_builds_ab.sh},
 * 30 rounds), time over the stores in the callers at one / two threads: the 7x7 stem 0.93 / 0.94, 1x1 256->1024 on
 * 14x14 0.95 / 0.96, 512->2048 on 7x7 0.98 / 0.98, 1024->256 on 14x14 0.99 / 0.99, 3x3 stride 2 128 on 56x56 1.00
 * / 0.99; Winograd's GEMMs on this kernel, F(4x4, 3x3) 256 on 14x14 0.95 / 0.89, 512 on 7x7 at batch 4 0.97 / 1.00,
 * F(2x2, 3x3) at batch 2 1.00 / 0.98, 160 on 7x7 0.91 / 0.98.
 *
 * <p>A group's last block with fewer than 16 channels runs a narrower kernel and its caller stores it here.
 * Mutable: a task makes one and sets {@link #at}, {@link #k0} and {@link #channels} per tile; never shared between
 * threads.
 */
final class OutputRun {
    /** Floats per pixel of a {@link ChannelGemmKernel#NARROW} tile, a constant for {@link #store}. */
    private static final int RUN_WIDTH = 2 * ChannelGemmKernel.LANES;

    private final float[] out;
    /** Floats from one output channel to the next. */
    private final int plane;
    /** Per output channel; zeros for a call without bias. */
    private final float[] bias;
    private final boolean relu;
    /** The tile's first output: channel {@link #k0}'s first pixel. */
    int at;
    /** The tile's first output channel. */
    int k0;
    /** The tile's channels: 16, fewer in a group's last block. */
    int channels;

    OutputRun(float[] out, int plane, float[] bias, boolean relu) {
        this.out = out;
        this.plane = plane;
        this.bias = bias;
        this.relu = relu;
    }

    /** Writes {@code tile}'s {@link #channels} x 6 pixels, plus bias, then the post-op, from {@link #at} on. */
    void store(float[] tile) {
        if (relu) {
            storeRelu(tile, bias, k0, channels, out, at, plane);
        } else {
            store(tile, bias, k0, channels, out, at, plane);
        }
    }

    private static void store(float[] tile, float[] bias, int k0, int channels, float[] out, int at, int plane) {
        for (int c = 0; c < channels; c++, at += plane) {
            float b = bias[k0 + c];
            out[at] = tile[c] + b;
            out[at + 1] = tile[RUN_WIDTH + c] + b;
            out[at + 2] = tile[2 * RUN_WIDTH + c] + b;
            out[at + 3] = tile[3 * RUN_WIDTH + c] + b;
            out[at + 4] = tile[4 * RUN_WIDTH + c] + b;
            out[at + 5] = tile[5 * RUN_WIDTH + c] + b;
        }
    }

    private static void storeRelu(float[] tile, float[] bias, int k0, int channels, float[] out, int at, int plane) {
        for (int c = 0; c < channels; c++, at += plane) {
            float b = bias[k0 + c];
            out[at] = Math.max(tile[c] + b, 0f);
            out[at + 1] = Math.max(tile[RUN_WIDTH + c] + b, 0f);
            out[at + 2] = Math.max(tile[2 * RUN_WIDTH + c] + b, 0f);
            out[at + 3] = Math.max(tile[3 * RUN_WIDTH + c] + b, 0f);
            out[at + 4] = Math.max(tile[4 * RUN_WIDTH + c] + b, 0f);
            out[at + 5] = Math.max(tile[5 * RUN_WIDTH + c] + b, 0f);
        }
    }
}
