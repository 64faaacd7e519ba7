package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.PostOp;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * {@code cpu} agrees with {@code cpu-reference} on random valid convolutions: every padding kind and mode,
 * strides, dilations, groups (depthwise and channel multipliers included), bias or none, batched and
 * unbatched. Shapes stay small so 1,000 tries run in seconds; the backend is forced onto a 3-thread pool even
 * for tiny problems so the task split is exercised too, and each case runs with both weight layouts.
 * Seeded by {@link PropertySeed}.
 */
@AddLifecycleHook(value = PropertySeed.class, propagateTo = PropagationMode.DIRECT_DESCENDANTS)
class CpuBackendPropertyTest {
    private static final CpuBackend PACKED = new CpuBackend(3, 0, 0, CpuBackend.Choice.NEVER);
    private static final CpuBackend IN_PLACE = new CpuBackend(3, 0, Integer.MAX_VALUE, CpuBackend.Choice.NEVER);
    private static final CpuBackend WINOGRAD = new CpuBackend(3, 0, 0, CpuBackend.Choice.ALWAYS);
    private static final WorkerPool THREE = WorkerPool.of(3);

    /**
     * Each case runs with weights packed per call and read in place (the two GEMM kernel families), by the
     * channel-vectorized GEMM with both its register tiles, and, where it is a 3x3 stride-1 undilated convolution,
     * by Winograd too, whatever its channel counts.
     */
    @Property(tries = 1000)
    void agreesWithReference(@ForAll("configurations") AgainstReference.Case c) {
        AgainstReference.check(PACKED, c);
        AgainstReference.check(IN_PLACE, c);
        if (WinogradPlan.eligible(c.geometry())) {
            AgainstReference.check(WINOGRAD, c);
        }
        checkChannelGemm(c);
        checkStem(c);
        if (c.geometry().isDepthwise()) { // both depthwise plans, whichever the shape rule picks
            AgainstReference.check(g -> new DepthwiseRowsPlan(g, THREE), c);
            if (isBlockable(c.geometry())) {
                AgainstReference.check(g -> new DepthwiseChannelBlockPlan(g, THREE), c);
            }
        }
    }

    /**
     * The implicit GEMM with each whole tile's input copied into a panel first ({@code ImplicitGemmPlan.runOnPanels};
     * the backend does so for wide 1x1 layers on the narrow register tile), here on every shape and either tile, three
     * tiles' panels at a time (so tasks end in part-filled copies): channel counts across several 8-channel blocks,
     * kernels, strides, dilations, padding, groups and batches.
     */
    @Property(tries = 300)
    void implicitGemmPanelsAgreeWithReference(@ForAll("channelGemmShapes") AgainstReference.Case c) {
        AgainstReference.check(g -> new ImplicitGemmPlan(g, THREE, 0, 0, PostOp.NONE, 3), c);
    }

    /** What {@link DepthwiseChannelBlockPlan} computes: 3x3 depthwise, one output channel per input channel. */
    private static boolean isBlockable(ConvGeometry g) {
        return g.isDepthwise() && g.kernelH() == 3 && g.kernelW() == 3 && g.outChannelsPerGroup() == 1;
    }

    /**
     * The channel-vectorized GEMM on channel counts across its 48- and 32-channel blocks, groups, strides, padding
     * and batches whose pixels cross its tiles and images.
     */
    @Property(tries = 300)
    void channelGemmAgreesWithReference(@ForAll("channelGemmShapes") AgainstReference.Case c) {
        checkChannelGemm(c);
        checkStem(c);
    }

    /**
     * The channel-vectorized GEMM's im2col copies by whole vectors ({@code ChannelGemmPlan.gather}): tiles of one
     * run and of several (across row ends, padding columns and images), reads that end near the end of the caller's
     * input (1x1 layers on maps smaller than a vector, several images), groups, and as few taps as leave none to
     * copy by vectors.
     */
    @org.junit.jupiter.api.Test
    void channelGemmCopiesWholeVectors() {
        int[][] cases = { // N, C, H, W, K, kernel, stride, padding, groups
            {3, 5, 2, 3, 50, 1, 1, 0, 1}, {2, 9, 1, 5, 40, 1, 1, 0, 1}, {1, 3, 4, 4, 100, 1, 1, 0, 1},
            {2, 6, 3, 3, 96, 1, 1, 0, 3}, {1, 64, 7, 7, 97, 3, 1, 1, 1}, {2, 16, 14, 14, 48, 3, 2, 1, 2},
            {1, 2, 9, 9, 33, 1, 1, 0, 1}, {1, 1, 9, 9, 33, 1, 1, 0, 1}, {4, 8, 5, 5, 60, 1, 2, 0, 1}};
        long seed = 1;
        for (int[] k : cases) {
            ConvParams params = new ConvParams(k[6], k[6], Padding.of(k[7]), 1, 1, k[8], PaddingMode.ZEROS);
            checkChannelGemm(new AgainstReference.Case(new int[] {k[0], k[1], k[2], k[3]},
                    new int[] {k[4], k[1] / k[8], k[5], k[5]}, seed % 2 == 0, params, seed++));
        }
    }

    /** By {@link ChannelGemmPlan} with each register tile (all run on any machine), where it can run. */
    static void checkChannelGemm(AgainstReference.Case c) {
        if (ChannelGemmPlan.eligible(c.geometry())) {
            for (ChannelGemmKernel kernel : ChannelGemmKernel.SHAPES) {
                try (ChannelGemmPlan plan = new ChannelGemmPlan(c.geometry(), THREE, PostOp.NONE, kernel)) {
                    AgainstReference.check(g -> plan, c);
                }
            }
        }
    }

    /**
     * By {@link StemPlan} with each register tile, where it can run, whatever its channel counts: its tiles read
     * the layout in place across row ends, images and the copy's last floats.
     */
    static void checkStem(AgainstReference.Case c) {
        if (StemPlan.eligible(c.geometry())) {
            for (ChannelGemmKernel kernel : List.of(ChannelGemmKernel.WIDE, ChannelGemmKernel.NARROW)) {
                try (StemPlan plan = new StemPlan(c.geometry(), THREE, PostOp.NONE, kernel)) {
                    AgainstReference.check(g -> plan, c);
                }
            }
        }
    }

    @Provide
    Arbitrary<AgainstReference.Case> channelGemmShapes() {
        List<Arbitrary<Integer>> draws = List.of(
                Arbitraries.integers().between(0, 3),    // 0 batch: 0 = unbatched
                Arbitraries.of(1, 1, 1, 2, 3),           // 1 groups
                Arbitraries.integers().between(2, 24),   // 2 in channels per group
                Arbitraries.integers().between(1, 100),  // 3 out channels per group (crosses 48- and 32-channel blocks)
                Arbitraries.of(1, 1, 3, 3, 5),           // 4 kernel height
                Arbitraries.of(1, 1, 3, 3, 5),           // 5 kernel width
                Arbitraries.of(1, 1, 2, 3),              // 6 stride height
                Arbitraries.of(1, 1, 2, 3),              // 7 stride width
                Arbitraries.of(1, 1, 1, 2),              // 8 dilation height
                Arbitraries.of(1, 1, 1, 2),              // 9 dilation width
                Arbitraries.integers().between(0, 2),    // 10 padding kind: explicit, same, valid
                Arbitraries.integers().between(0, 2),    // 11 padding height
                Arbitraries.integers().between(0, 2),    // 12 padding width
                Arbitraries.integers().between(0, 3),    // 13 padding mode
                Arbitraries.integers().between(0, 12),   // 14 height beyond the minimum
                Arbitraries.integers().between(0, 12),   // 15 width beyond the minimum
                Arbitraries.integers().between(0, 1),    // 16 bias
                Arbitraries.integers().between(0, 1_000_000)); // 17 data seed
        return Combinators.combine(draws).as(CpuBackendPropertyTest::toCase);
    }

    /**
     * Both depthwise plans on rows wide enough for several vectors (up to 90 columns), where {@link DepthwiseRowsPlan}
     * runs its sliding-window kernels: on the input in place for 3x3 stride-1 layers padded by one with zeros (the
     * batch's first and last planes through the padded copy), on the padded copy otherwise.
     */
    @Property(tries = 300)
    void depthwiseAgreesWithReference(@ForAll("depthwiseShapes") AgainstReference.Case c) {
        AgainstReference.check(g -> new DepthwiseRowsPlan(g, THREE), c);
        if (isBlockable(c.geometry())) {
            AgainstReference.check(g -> new DepthwiseChannelBlockPlan(g, THREE), c);
        }
    }

    /**
     * MobileNet's depthwise layers (3x3, stride 1 or 2, padded by one with zeros), which {@link DepthwiseRowsPlan}
     * reads in place ({@link DepthwiseInPlaceKernels}), and the same shapes on its padded copy: channel counts and
     * batches around the first and last planes (copied for the in-place kernels), widths from one column (rows
     * narrower than a vector) to several strips of vectors, even and odd sizes; and in the cold phase, most planes
     * through the scalar loop while the kernel is not compiled yet.
     */
    @Property(tries = 300)
    void depthwiseInPlaceAgreesWithReference(@ForAll("depthwiseInPlaceShapes") AgainstReference.Case c) {
        AgainstReference.check(g -> {
            DepthwiseRowsPlan plan = new DepthwiseRowsPlan(g, THREE);
            org.junit.jupiter.api.Assertions.assertTrue(plan.readsInPlace(), c.toString());
            return plan;
        }, c);
        AgainstReference.check(g -> new DepthwiseRowsPlan(g, THREE, false), c);
        // the cold phase: a few planes per task through the kernel, the rest through the scalar loop
        AgainstReference.check(g -> new DepthwiseRowsPlan(g, THREE, true, true), c);
    }

    @Provide
    Arbitrary<AgainstReference.Case> depthwiseInPlaceShapes() {
        List<Arbitrary<Integer>> draws = List.of(
                Arbitraries.integers().between(0, 3),    // 0 batch: 0 = unbatched
                Arbitraries.integers().between(2, 9),    // 1 channels (groups)
                Arbitraries.of(1, 2),                    // 2 stride
                Arbitraries.integers().between(0, 20),   // 3 height beyond one
                Arbitraries.oneOf(Arbitraries.integers().between(0, 20), Arbitraries.integers().between(0, 130)),
                                                         // 4 width beyond one
                Arbitraries.integers().between(0, 1),    // 5 bias
                Arbitraries.integers().between(0, 1_000_000)); // 6 data seed
        return Combinators.combine(draws).as(d -> toCase(List.of(d.get(0), d.get(1), 1, 1, 3, 3, d.get(2), d.get(2),
                1, 1, 0, 1, 1, 0, d.get(3), d.get(4), d.get(5), d.get(6))));
    }

    @Provide
    Arbitrary<AgainstReference.Case> depthwiseShapes() {
        List<Arbitrary<Integer>> draws = List.of(
                Arbitraries.integers().between(0, 3),    // 0 batch: 0 = unbatched
                Arbitraries.integers().between(1, 9),    // 1 channels (groups)
                Arbitraries.of(1, 1, 1, 2),              // 2 channel multiplier
                Arbitraries.of(3, 3, 3, 1, 5),           // 3 kernel height
                Arbitraries.of(3, 3, 3, 2, 5),           // 4 kernel width
                Arbitraries.of(1, 1, 2),                 // 5 stride height
                Arbitraries.of(1, 1, 2),                 // 6 stride width
                Arbitraries.of(1, 1, 1, 2),              // 7 dilation height
                Arbitraries.of(1, 1, 1, 2),              // 8 dilation width
                Arbitraries.of(0, 0, 0, 1, 2),           // 9 padding kind: explicit, same, valid
                Arbitraries.of(1, 1, 1, 0, 2),           // 10 padding height
                Arbitraries.of(1, 1, 1, 0, 2),           // 11 padding width
                Arbitraries.of(0, 0, 0, 1, 2, 3),        // 12 padding mode
                Arbitraries.integers().between(0, 20),   // 13 height beyond the minimum
                Arbitraries.integers().between(0, 90),   // 14 width beyond the minimum
                Arbitraries.integers().between(0, 1),    // 15 bias
                Arbitraries.integers().between(0, 1_000_000)); // 16 data seed
        return Combinators.combine(draws).as(d -> toCase(List.of(d.get(0), d.get(1), 1, d.get(2), d.get(3), d.get(4),
                d.get(5), d.get(6), d.get(7), d.get(8), d.get(9), d.get(10), d.get(11), d.get(12), d.get(13), d.get(14),
                d.get(15), d.get(16))));
    }

    /**
     * Winograd on its own shapes (3x3, stride 1, undilated): channel counts across the 8-channel block and the
     * auto choice's threshold, maps from one tile to several vectors of tile columns, every padding mode; as the
     * backend picks its GEMM kernel, and on each kernel whatever the tile count: {@link GemmKernel} and both
     * register tiles of {@link ChannelGemmKernel}; and by F(2x2, 3x3) ({@link Winograd2x2Plan}, both register tiles)
     * where the call has few enough tiles for it.
     */
    @Property(tries = 300)
    void winogradAgreesWithReference(@ForAll("winogradShapes") AgainstReference.Case c) {
        AgainstReference.check(WINOGRAD, c);
        for (ChannelGemmKernel kernel : Arrays.asList(null, ChannelGemmKernel.WIDE, ChannelGemmKernel.NARROW)) {
            try (WinogradPlan plan = new WinogradPlan(c.geometry(), THREE, kernel)) {
                AgainstReference.check(g -> plan, c);
            }
        }
        if (Winograd2x2Plan.eligible(c.geometry())) {
            for (ChannelGemmKernel kernel : List.of(ChannelGemmKernel.WIDE, ChannelGemmKernel.NARROW)) {
                try (Winograd2x2Plan plan = new Winograd2x2Plan(c.geometry(), THREE, kernel)) {
                    AgainstReference.check(g -> plan, c);
                }
            }
        }
    }

    /**
     * Dilated size-keeping convolutions ({@link DilationPhasesPlan}: dilation 2-3, an odd kernel, padding
     * {@code d * (k - 1) / 2}, sides of every size from one pixel, multiples of {@code d} or not, so the phase
     * images differ in size): on the backend that forces Winograd (whose 3x3 layers then run on the mosaic, which
     * the plan's description must say, so this cannot pass by running something else), on the mosaic plan over the
     * implicit GEMM, and on the default choice. Depthwise draws keep their own plans.
     */
    @Property(tries = 200)
    void dilatedLayersAgreeWithReferenceOnThePhaseMosaic(@ForAll("dilatedShapes") AgainstReference.Case c) {
        ConvGeometry g = c.geometry();
        AgainstReference.check(WINOGRAD, c);
        if (g.kernelH() == 3 && !g.isDepthwise()) { // depthwise layers have plans of their own
            String plan = WINOGRAD.plan(g).describe();
            if (!plan.contains("mosaic")) {
                throw new AssertionError("forced Winograd did not run the phase mosaic on " + c + ": " + plan);
            }
        }
        ConvGeometry mosaic = DilationPhasesPlan.mosaicGeometry(g);
        try (DilationPhasesPlan plan = new DilationPhasesPlan(g, THREE, new ImplicitGemmPlan(mosaic, THREE))) {
            AgainstReference.check(x -> plan, c);
        }
        AgainstReference.check(new CpuBackend(3), c);
    }

    @Provide
    Arbitrary<AgainstReference.Case> dilatedShapes() {
        return Combinators.combine(List.of(
                Arbitraries.integers().between(0, 2),    // 0 batch: 0 = unbatched
                Arbitraries.of(1, 1, 2),                 // 1 groups
                Arbitraries.integers().between(1, 24),   // 2 in channels per group
                Arbitraries.integers().between(1, 24),   // 3 out channels per group
                Arbitraries.of(2, 2, 3),                 // 4 dilation
                Arbitraries.of(1, 3, 3, 3, 5),           // 5 kernel
                Arbitraries.integers().between(1, 60),   // 6 height
                Arbitraries.integers().between(1, 60),   // 7 width
                Arbitraries.integers().between(0, 1),    // 8 bias
                Arbitraries.integers().between(0, 1_000_000))).as(d -> { // 9 data seed
                    int groups = d.get(1);
                    int dilation = d.get(4);
                    int kernel = d.get(5);
                    int c = groups * d.get(2);
                    int k = groups * d.get(3);
                    int h = d.get(6);
                    int w = d.get(7);
                    int[] input = d.get(0) == 0 ? new int[] {c, h, w} : new int[] {d.get(0), c, h, w};
                    ConvParams params = new ConvParams(1, 1, Padding.of(dilation * (kernel - 1) / 2), dilation,
                            dilation, groups, PaddingMode.ZEROS);
                    return new AgainstReference.Case(input, new int[] {k, c / groups, kernel, kernel}, d.get(8) == 1,
                            params, d.get(9));
                });
    }

    @Provide
    Arbitrary<AgainstReference.Case> winogradShapes() {
        List<Arbitrary<Integer>> draws = List.of(
                Arbitraries.integers().between(0, 3),    // 0 batch: 0 = unbatched
                Arbitraries.of(1, 1, 1, 2),              // 1 groups
                Arbitraries.integers().between(1, 40),   // 2 in channels per group
                Arbitraries.integers().between(1, 40),   // 3 out channels per group
                Arbitraries.integers().between(0, 2),    // 4 padding kind: explicit, same, valid
                Arbitraries.integers().between(0, 2),    // 5 padding height
                Arbitraries.integers().between(0, 2),    // 6 padding width
                Arbitraries.integers().between(0, 3),    // 7 padding mode
                Arbitraries.integers().between(0, 90),   // 8 height beyond the minimum
                Arbitraries.integers().between(0, 90),   // 9 width beyond the minimum
                Arbitraries.integers().between(0, 1),    // 10 bias
                Arbitraries.integers().between(0, 1_000_000)); // 11 data seed
        return Combinators.combine(draws).as(d -> toCase(List.of(d.get(0), d.get(1), d.get(2), d.get(3), 3, 3, 1, 1,
                1, 1, d.get(4), d.get(5), d.get(6), d.get(7), d.get(8), d.get(9), d.get(10), d.get(11))));
    }

    /**
     * Valid configurations: sizes are drawn as "the minimum the kernel and padding need plus extra", so
     * nothing is discarded. The draws are one integer list, which jqwik shrinks element by element.
     */
    @Provide
    Arbitrary<AgainstReference.Case> configurations() {
        List<Arbitrary<Integer>> draws = List.of(
                Arbitraries.integers().between(0, 3),    // 0 batch: 0 = unbatched (C, H, W)
                Arbitraries.of(1, 1, 1, 2, 3, 4),        // 1 groups
                Arbitraries.of(1, 1, 2, 3, 4),           // 2 in channels per group (1 with groups > 1: depthwise)
                Arbitraries.integers().between(1, 12),   // 3 out channels per group (crosses the 8-row tile)
                Arbitraries.of(1, 2, 3, 3, 3, 4, 5),     // 4 kernel height (3x3 has its own depthwise kernel)
                Arbitraries.of(1, 2, 3, 3, 3, 4, 5),     // 5 kernel width
                Arbitraries.of(1, 1, 1, 2, 3),           // 6 stride height
                Arbitraries.of(1, 1, 1, 2, 3),           // 7 stride width
                Arbitraries.of(1, 1, 1, 2, 3),           // 8 dilation height
                Arbitraries.of(1, 1, 1, 2, 3),           // 9 dilation width
                Arbitraries.integers().between(0, 2),    // 10 padding kind: explicit, same, valid
                Arbitraries.integers().between(0, 3),    // 11 padding height
                Arbitraries.integers().between(0, 3),    // 12 padding width
                Arbitraries.integers().between(0, 3),    // 13 padding mode (PaddingMode ordinal)
                Arbitraries.integers().between(0, 14),   // 14 height beyond the minimum
                Arbitraries.integers().between(0, 14),   // 15 width beyond the minimum
                Arbitraries.integers().between(0, 1),    // 16 bias
                Arbitraries.integers().between(0, 1_000_000)); // 17 data seed
        return Combinators.combine(draws).as(CpuBackendPropertyTest::toCase);
    }

    private static AgainstReference.Case toCase(List<Integer> d) {
        int batch = d.get(0);
        int groups = d.get(1);
        int inChannels = groups * d.get(2);
        int outChannels = groups * d.get(3);
        int kh = d.get(4);
        int kw = d.get(5);
        int dh = d.get(8);
        int dw = d.get(9);
        Padding padding = switch (d.get(10)) {
            case 0 -> Padding.of(d.get(11), d.get(12));
            case 1 -> Padding.SAME;
            default -> Padding.VALID;
        };
        boolean same = padding.kind() == Padding.Kind.SAME;
        int sh = same ? 1 : d.get(6);
        int sw = same ? 1 : d.get(7);
        PaddingMode mode = PaddingMode.values()[d.get(13)];
        int[] padH = sides(padding, padding.height(), dh, kh);
        int[] padW = sides(padding, padding.width(), dw, kw);
        int h = minimumSize(dh * (kh - 1) + 1, padH, mode) + d.get(14);
        int w = minimumSize(dw * (kw - 1) + 1, padW, mode) + d.get(15);
        int[] input = batch == 0 ? new int[] {inChannels, h, w} : new int[] {batch, inChannels, h, w};
        int[] weight = {outChannels, inChannels / groups, kh, kw};
        ConvParams params = new ConvParams(sh, sw, padding, dh, dw, groups, mode);
        return new AgainstReference.Case(input, weight, d.get(16) == 1, params, d.get(17));
    }

    private static int[] sides(Padding p, int explicit, int dilation, int k) {
        return switch (p.kind()) {
            case EXPLICIT -> new int[] {explicit, explicit};
            case VALID -> new int[] {0, 0};
            case SAME -> new int[] {dilation * (k - 1) / 2, dilation * (k - 1) - dilation * (k - 1) / 2};
        };
    }

    /** The smallest input extent with at least one output, within reflect's and circular's padding limits. */
    private static int minimumSize(int span, int[] pad, PaddingMode mode) {
        int size = Math.max(1, span - pad[0] - pad[1]);
        int largest = Math.max(pad[0], pad[1]);
        if (mode == PaddingMode.REFLECT) {
            size = Math.max(size, largest + 1);
        } else if (mode == PaddingMode.CIRCULAR) {
            size = Math.max(size, largest);
        }
        return size;
    }
}
