package dev.jconv.cuda;

import dev.jconv.ConvGeometry;
import dev.jconv.PaddingMode;

/**
 * Chooses the kernel and launch configuration for a geometry. Pure arithmetic (unit-tested without a
 * GPU); the formulas mirror the header comments of {@code native-kernels/*.cu}.
 *
 * <p>Rule: grouped convolutions with at most {@value #DIRECT_MAX_OUTPUTS_PER_GROUP} output channels per
 * group (depthwise and near-depthwise) use {@code conv2d_direct}, whose cost is one pass over the input
 * per output channel; everything else is an implicit GEMM, whose tiles would be mostly empty for such
 * shapes. The 128x128 GEMM tile is used when the GEMM has at least 128 rows and enough 128x128 tiles to
 * give every SM one; otherwise 64x64. These thresholds are first choices, not yet tuned on a GPU.
 */
public final class LaunchPlanner {
    public static final String DIRECT_PTX = "dev/jconv/cuda/conv2d_direct.ptx";
    public static final String IMPLICIT_GEMM_PTX = "dev/jconv/cuda/conv2d_implicit_gemm.ptx";

    /** conv2d_direct's block: one thread per output pixel of a TILE_W x TILE_H tile. */
    static final int DIRECT_TILE_W = 32;
    static final int DIRECT_TILE_H = 8;
    static final int DIRECT_MAX_OUTPUTS_PER_GROUP = 4;
    static final int GEMM_THREADS = 256;

    private LaunchPlanner() {}

    /** jconv's convolution kernels, for {@link #plan(ConvGeometry, Kernel)}. */
    public enum Kernel {
        DIRECT("conv2d_direct"), GEMM_64X64("conv2d_igemm_64x64"), GEMM_128X128("conv2d_igemm_128x128");

        private final String entry;

        Kernel(String entry) {
            this.entry = entry;
        }

        /** The kernel's {@code .entry} name. */
        public String entry() {
            return entry;
        }
    }

    /** The kernel code of each padding mode; must match the {@code JCONV_PAD_*} values in conv_common.cuh. */
    public static int paddingModeCode(PaddingMode mode) {
        return switch (mode) {
            case ZEROS -> 0;
            case REFLECT -> 1;
            case REPLICATE -> 2;
            case CIRCULAR -> 3;
        };
    }

    /** Null when jconv's kernels can run {@code g}, else why not (index ranges, launch limits). */
    /** Why a geometry whose padded coordinates pass 2^31 cannot run on the GPU paths. */
    public static final String INT_COORDINATES =
            "padded coordinates reach past 2^31 - 1 (stride, dilation or padding near 2^31); the GPU kernels index in 32 bits";

    public static String unsupportedReason(ConvGeometry g) {
        if (!g.fitsIntCoordinates()) {
            return INT_COORDINATES;
        }
        String direct = directUnsupported(g);
        String gemm = gemmUnsupported(g);
        if (direct == null || gemm == null) {
            return null;
        }
        return "neither kernel can run it: " + direct + "; " + gemm;
    }

    /**
     * The launch for {@code g} on a device with {@code multiprocessors} SMs. The output must not be
     * empty (nothing to launch) and {@code g} must be supported.
     */
    public static ConvLaunch plan(ConvGeometry g, int multiprocessors) {
        if (outputElements(g) == 0) {
            throw new IllegalArgumentException("empty output: nothing to launch");
        }
        String direct = directUnsupported(g);
        String gemm = gemmUnsupported(g);
        boolean fewOutputsPerGroup = g.outChannelsPerGroup() <= DIRECT_MAX_OUTPUTS_PER_GROUP;
        if (direct == null && (fewOutputsPerGroup || gemm != null)) {
            return direct(g, fewOutputsPerGroup
                    ? (g.isDepthwise() ? "depthwise" : g.outChannelsPerGroup() + " output channels per group")
                    : "implicit GEMM out of range: " + gemm);
        }
        if (gemm == null) {
            int rows = g.outChannelsPerGroup();
            long bigTiles = ceilDiv(rows, 128) * ceilDiv((long) g.batch() * g.outHeight() * g.outWidth(), 128) * g.groups();
            boolean big = rows >= 128 && bigTiles >= multiprocessors;
            return implicitGemm(g, big ? 128 : 64, big ? ", " + bigTiles + " 128x128 tiles for " + multiprocessors + " SMs" : "");
        }
        throw new IllegalArgumentException(unsupportedReason(g));
    }

    /**
     * The launch of {@code kernel} for {@code g} whatever the rule above would choose, so tests reach every
     * kernel with any shape (the rule picks the 128x128 tile only with a full wave of tiles on the GPU's
     * SMs). Throws naming the reason if that kernel cannot run {@code g}, or if the output is empty.
     */
    public static ConvLaunch plan(ConvGeometry g, Kernel kernel) {
        if (outputElements(g) == 0) {
            throw new IllegalArgumentException("empty output: nothing to launch");
        }
        String unsupported = kernel == Kernel.DIRECT ? directUnsupported(g) : gemmUnsupported(g);
        if (unsupported != null) {
            throw new IllegalArgumentException(kernel.entry() + " cannot run it: " + unsupported);
        }
        return switch (kernel) {
            case DIRECT -> direct(g, "chosen by the caller");
            case GEMM_64X64 -> implicitGemm(g, 64, ", chosen by the caller");
            case GEMM_128X128 -> implicitGemm(g, 128, ", chosen by the caller");
        };
    }

    /** Whether {@code kernel} can run {@code g} (see {@link #plan(ConvGeometry, Kernel)}). */
    public static boolean canRun(ConvGeometry g, Kernel kernel) {
        return (kernel == Kernel.DIRECT ? directUnsupported(g) : gemmUnsupported(g)) == null;
    }

    public static long outputElements(ConvGeometry g) {
        return (long) g.batch() * g.outChannels() * g.outHeight() * g.outWidth();
    }

    /** The input window one direct-kernel block reads, along one axis. */
    static int directWindow(int tile, int stride, int kernel, int dilation) {
        return (tile - 1) * stride + (kernel - 1) * dilation + 1;
    }

    private static long directWindowBytes(ConvGeometry g) {
        long h = (long) (DIRECT_TILE_H - 1) * g.strideH() + (long) (g.kernelH() - 1) * g.dilationH() + 1;
        long w = (long) (DIRECT_TILE_W - 1) * g.strideW() + (long) (g.kernelW() - 1) * g.dilationW() + 1;
        return h * w * Float.BYTES;
    }

    private static String directUnsupported(ConvGeometry g) {
        long windowBytes = directWindowBytes(g);
        if (windowBytes > LaunchConfig.DEFAULT_MAX_SHARED_BYTES) {
            return "conv2d_direct's input window (" + windowBytes + " bytes) exceeds "
                    + LaunchConfig.DEFAULT_MAX_SHARED_BYTES + " bytes of shared memory";
        }
        long blocks = (long) g.batch() * g.outChannels() * ceilDiv(g.outHeight(), DIRECT_TILE_H)
                * ceilDiv(g.outWidth(), DIRECT_TILE_W);
        if (blocks > LaunchConfig.MAX_GRID_X) {
            return "conv2d_direct would need " + blocks + " blocks (limit " + LaunchConfig.MAX_GRID_X + ")";
        }
        return null;
    }

    private static String gemmUnsupported(ConvGeometry g) {
        long columns = (long) g.batch() * g.outHeight() * g.outWidth();
        if (columns > Integer.MAX_VALUE - 128) {
            return "the implicit GEMM's " + columns + " columns (N*Hout*Wout) exceed its 32-bit index";
        }
        long groupInput = (long) g.inChannelsPerGroup() * g.inHeight() * g.inWidth();
        if (groupInput > Integer.MAX_VALUE) {
            return "one group's input (" + groupInput + " elements) exceeds the implicit GEMM's 32-bit offsets";
        }
        if (ceilDiv(g.outChannelsPerGroup(), 64) > LaunchConfig.MAX_GRID_YZ || g.groups() > LaunchConfig.MAX_GRID_YZ) {
            return "the implicit GEMM grid would exceed " + LaunchConfig.MAX_GRID_YZ + " in y or z ("
                    + g.outChannelsPerGroup() + " output channels per group, " + g.groups() + " groups)";
        }
        return null;
    }

    private static ConvLaunch.Direct direct(ConvGeometry g, String reason) {
        int tilesX = (int) ceilDiv(g.outWidth(), DIRECT_TILE_W);
        int tilesY = (int) ceilDiv(g.outHeight(), DIRECT_TILE_H);
        int inTileH = directWindow(DIRECT_TILE_H, g.strideH(), g.kernelH(), g.dilationH());
        int inTileW = directWindow(DIRECT_TILE_W, g.strideW(), g.kernelW(), g.dilationW());
        long blocks = (long) g.batch() * g.outChannels() * tilesX * tilesY;
        LaunchConfig config = new LaunchConfig((int) blocks, 1, 1, DIRECT_TILE_W, DIRECT_TILE_H, 1,
                inTileH * inTileW * Float.BYTES);
        return new ConvLaunch.Direct(g, config, tilesX, tilesY, inTileH, inTileW, reason);
    }

    private static ConvLaunch.ImplicitGemm implicitGemm(ConvGeometry g, int tile, String why) {
        int rows = g.outChannelsPerGroup();
        int columns = (int) ((long) g.batch() * g.outHeight() * g.outWidth());
        int reduction = g.inChannelsPerGroup() * g.kernelH() * g.kernelW();
        LaunchConfig config = new LaunchConfig((int) ceilDiv(columns, tile), (int) ceilDiv(rows, tile), g.groups(),
                GEMM_THREADS, 1, 1, 0);
        boolean vectorA = reduction % 4 == 0;
        boolean vectorB = g.isPointwise() && ((long) g.inHeight() * g.inWidth()) % 4 == 0;
        boolean vectorOut = ((long) g.outHeight() * g.outWidth()) % 4 == 0;
        String reason = "implicit GEMM " + rows + "x" + columns + "x" + reduction
                + (g.groups() > 1 ? " per group, " + g.groups() + " groups" : "") + why;
        return new ConvLaunch.ImplicitGemm(g, config, tile, tile, reduction, columns, vectorA, vectorB, vectorOut, reason);
    }

    /**
     * The implicit GEMM's tap table: for each reduction index q = (c * R + r) * S + s, the four ints
     * {c * H * W, r * dilationH, s * dilationW, 0} (an int4 on the device).
     */
    public static int[] taps(ConvGeometry g) {
        int r = g.kernelH();
        int s = g.kernelW();
        int q = g.inChannelsPerGroup() * r * s;
        int plane = g.inHeight() * g.inWidth();
        int[] taps = new int[4 * q];
        for (int i = 0; i < q; i++) {
            taps[4 * i] = (i / (r * s)) * plane;
            taps[4 * i + 1] = ((i / s) % r) * g.dilationH();
            taps[4 * i + 2] = (i % s) * g.dilationW();
        }
        return taps;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
