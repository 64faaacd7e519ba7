package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvolutionPlan;
import dev.jconv.Functional;
import dev.jconv.Options;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.PostOp;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.ConvPlan;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Pins the {@code cpu} backend's algorithm choice, its special paths, and its contract as a backend. */
class CpuBackendTest {
    private static final CpuBackend TWO_THREADS = new CpuBackend(2);

    private static AgainstReference.Case layer(int n, int c, int h, int w, int k, int r, int s, int p, int d, int g,
                                               boolean bias, PaddingMode mode) {
        return new AgainstReference.Case(new int[] {n, c, h, w}, new int[] {k, c / g, r, r}, bias,
                new ConvParams(s, s, Padding.of(p), d, d, g, mode), 31L * n + 7L * c + h + k + r + s + p + d + g);
    }

    /** The speed-goal layers of issue 3 and shapes that stress tile edges, on the real (parallel) plan. */
    static Stream<Arguments> largeLayers() {
        return Stream.of(
                Arguments.of(layer(1, 64, 56, 56, 64, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS)),
                Arguments.of(layer(2, 64, 28, 28, 64, 3, 1, 1, 1, 1, true, PaddingMode.ZEROS)),
                // about 1 MB of padded copy per image: one image per pass, three passes
                Arguments.of(layer(3, 64, 60, 60, 24, 3, 1, 1, 1, 1, true, PaddingMode.REFLECT)),
                Arguments.of(layer(1, 256, 56, 56, 64, 1, 1, 0, 1, 1, false, PaddingMode.ZEROS)),
                Arguments.of(layer(1, 3, 224, 224, 64, 7, 2, 3, 1, 1, true, PaddingMode.ZEROS)),
                Arguments.of(layer(1, 512, 7, 7, 512, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS)),
                Arguments.of(layer(1, 32, 112, 112, 32, 3, 1, 1, 1, 32, true, PaddingMode.ZEROS)),
                // strided depthwise wide enough to run along rows, and with an odd width and reflect padding
                Arguments.of(layer(1, 96, 112, 112, 96, 3, 2, 1, 1, 96, true, PaddingMode.ZEROS)),
                Arguments.of(layer(2, 40, 57, 61, 40, 3, 2, 1, 1, 40, true, PaddingMode.REFLECT)),
                Arguments.of(layer(1, 64, 56, 56, 64, 3, 1, 2, 2, 1, false, PaddingMode.ZEROS)),
                Arguments.of(layer(2, 24, 30, 33, 20, 3, 2, 1, 1, 1, true, PaddingMode.REFLECT)),
                Arguments.of(layer(1, 16, 17, 45, 13, 5, 1, 2, 1, 1, true, PaddingMode.CIRCULAR)),
                Arguments.of(layer(3, 12, 23, 19, 36, 3, 1, 1, 1, 4, true, PaddingMode.REPLICATE)),
                Arguments.of(SUBSAMPLED_LAYERS[0]), Arguments.of(SUBSAMPLED_LAYERS[1]),
                Arguments.of(SUBSAMPLED_LAYERS[2]),
                // Winograd summing over many channels (its rounding grows with the sum), ragged tiles, groups
                Arguments.of(WINOGRAD_LAYERS[0]), Arguments.of(WINOGRAD_LAYERS[1]), Arguments.of(WINOGRAD_LAYERS[2]),
                // the channel-vectorized GEMM: a 4608-tap sum, ragged channel blocks and pixel tiles across images
                Arguments.of(CHANNEL_GEMM_LAYERS[0]), Arguments.of(CHANNEL_GEMM_LAYERS[1]),
                Arguments.of(CHANNEL_GEMM_LAYERS[2]), Arguments.of(CHANNEL_GEMM_LAYERS[3]));
    }

    /**
     * Layers the auto choice runs by Winograd: a sum over 512 channels (its rounding grows with it), ragged tiles
     * and replicate padding, groups.
     */
    private static final AgainstReference.Case[] WINOGRAD_LAYERS = {
        layer(2, 512, 14, 14, 64, 3, 1, 1, 1, 1, true, PaddingMode.ZEROS),
        layer(1, 96, 45, 71, 72, 3, 1, 1, 1, 1, true, PaddingMode.REPLICATE),
        layer(2, 128, 30, 30, 128, 3, 1, 0, 1, 2, false, PaddingMode.ZEROS),
    };

    /**
     * Layers the auto choice runs by the channel-vectorized GEMM: 7x7 and 14x14 outputs with many channels,
     * strided, dilated, padded, grouped, batched, channel counts that leave ragged blocks.
     */
    private static final AgainstReference.Case[] CHANNEL_GEMM_LAYERS = {
        layer(1, 512, 7, 7, 512, 3, 1, 2, 2, 1, true, PaddingMode.ZEROS),
        layer(3, 256, 7, 7, 100, 1, 1, 0, 1, 1, true, PaddingMode.ZEROS),
        layer(2, 96, 15, 13, 200, 3, 2, 1, 1, 2, false, PaddingMode.REFLECT),
        layer(1, 512, 14, 14, 512, 3, 2, 1, 1, 1, false, PaddingMode.ZEROS),
    };

    /**
     * Strided 1x1 layers, which the auto choice gathers (the input subsampled) for the pointwise plans: the channel
     * GEMM on a batch's small maps, the pixel-vectorized GEMM on a larger map with padding (reflect: the edge columns
     * through the padding mode), unequal strides, groups.
     */
    private static final AgainstReference.Case[] SUBSAMPLED_LAYERS = {
        layer(3, 256, 14, 14, 100, 1, 2, 0, 1, 1, true, PaddingMode.ZEROS),
        layer(1, 64, 57, 55, 72, 1, 2, 1, 1, 1, true, PaddingMode.REFLECT),
        new AgainstReference.Case(new int[] {2, 24, 31, 29}, new int[] {36, 8, 1, 1}, false,
                new ConvParams(3, 2, Padding.of(2), 1, 1, 3, PaddingMode.ZEROS), 77),
    };

    /**
     * Packed or transformed weights are reused only while the weights are equal: a change in place is seen. Each
     * version runs more than once, so its cached weights are used as well as made.
     */
    @ParameterizedTest
    @MethodSource("weightCachingLayers")
    void planSeesWeightsChangedInPlace(AgainstReference.Case c) {
        ConvPlan plan = TWO_THREADS.plan(c.geometry());
        float[] in = Tensor.uniform(5, -1f, 1f, c.inputShape()).data();
        float[] w = Tensor.uniform(6, -1f, 1f, c.weightShape()).data();
        AgainstReference.check(plan, in, w, null, "first weights");
        AgainstReference.check(plan, in, w, null, "same weights again");
        AgainstReference.check(plan, in, w, null, "same weights a third time");
        w[w.length / 2] += 0.75f;
        AgainstReference.check(plan, in, w, null, "one weight changed in place");
        AgainstReference.check(plan, in, w, null, "the changed weights again");
        AgainstReference.check(plan, in, w, null, "the changed weights a third time");
        w = w.clone();
        w[0] = -w[0];
        AgainstReference.check(plan, in, w, null, "a new array with another change");
        AgainstReference.check(plan, in, w, null, "that array again");
        w[w.length - 1] += 1f;
        AgainstReference.check(plan, in, w, null, "the last weight changed in place");
        AgainstReference.check(plan, in, w, null, "the last change again");
        w[w.length / 3 + 1] -= 0.5f; // not a sampled position: the call starts on the old version, then redoes
        AgainstReference.check(plan, in, w, null, "a weight off the sampled positions changed in place");
        AgainstReference.check(plan, in, w, null, "that change again");
    }

    /**
     * Through the library's face: a weight tensor of its own has a version ({@link Tensor}), so the plan reuses its
     * prepared weights without comparing them, and every change is still seen: {@code set} through a reshaped view
     * (off the positions the cache samples), {@code copyFrom}, and once {@code data()} has handed the array out, a
     * write to the array itself.
     */
    @ParameterizedTest
    @MethodSource("weightCachingLayers")
    void versionedWeightsAreReusedAndEveryChangeIsSeen(AgainstReference.Case c) {
        Options options = Options.defaults().withBackend(CpuBackend.NAME).withThreads(2);
        try (ConvolutionPlan plan = ConvolutionPlan.create(c.inputShape(), c.weightShape(), false, c.params(),
                options)) {
            Tensor x = Tensor.uniform(11, -1f, 1f, c.inputShape());
            Tensor w = Tensor.uniform(12, -1f, 1f, c.weightShape());
            Tensor flat = w.reshape(-1);
            int unsampled = (int) (w.numel() / 3 + 1);
            checkVersioned(plan, x, w, c, "first weights");
            checkVersioned(plan, x, w, c, "the same version again");
            flat.set(flat.get(unsampled) + 0.5f, unsampled);
            checkVersioned(plan, x, w, c, "one weight set through a reshaped view");
            checkVersioned(plan, x, w, c, "that version again");
            w.copyFrom(Tensor.uniform(13, -1f, 1f, c.weightShape()).toArray(), 0);
            checkVersioned(plan, x, w, c, "new values copied in");
            float[] raw = w.data();
            raw[unsampled + 1] -= 0.25f;
            checkVersioned(plan, x, w, c, "a weight written to the handed-out array");
            raw[unsampled + 2] += 0.25f;
            checkVersioned(plan, x, w, c, "another one");
        }
    }

    private static void checkVersioned(ConvolutionPlan plan, Tensor x, Tensor w, AgainstReference.Case c,
                                       String what) {
        Tensor ref = Functional.conv2d(x, w.copy(), null, c.params(), ReferenceBackend.NAME);
        AgainstReference.assertClose(ref.toArray(), plan.forward(x, w, null).toArray(), what + " [" + plan.describe()
                + "]");
    }

    /**
     * Layers of one shape share a plan (a network repeats shapes): weight arrays taking turns on it each get their
     * own version back, also when two differ only off the positions the cache samples, and after one is changed in
     * place.
     */
    @ParameterizedTest
    @MethodSource("weightCachingLayers")
    void planKeepsTheVersionsOfWeightArraysTakingTurns(AgainstReference.Case c) {
        ConvPlan plan = TWO_THREADS.plan(c.geometry());
        float[] in = Tensor.uniform(7, -1f, 1f, c.inputShape()).data();
        float[][] layers = new float[3][];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = Tensor.uniform(8 + l, -1f, 1f, c.weightShape()).data();
        }
        layers[2] = layers[1].clone();
        layers[2][layers[2].length / 3 + 1] += 0.5f; // one weight off the sampled positions
        for (int pass = 0; pass < 3; pass++) {
            for (int l = 0; l < layers.length; l++) {
                AgainstReference.check(plan, in, layers[l], null, "weights " + l + ", pass " + pass);
            }
        }
        layers[0][1] -= 0.25f;
        AgainstReference.check(plan, in, layers[0], null, "weights 0 changed in place");
        AgainstReference.check(plan, in, layers[1], null, "weights 1 after that");
    }

    /** Layers the auto choice runs by Winograd's F(2x2, 3x3): 7x7 maps at batch 1 and 3 (its widest call). */
    private static final AgainstReference.Case[] WINOGRAD_2X2_LAYERS = {
        layer(1, 512, 7, 7, 512, 3, 1, 1, 1, 1, true, PaddingMode.ZEROS),
        layer(3, 128, 7, 7, 200, 3, 1, 1, 1, 1, false, PaddingMode.REFLECT),
    };

    /** An implicit GEMM whose packed weights (152 x 432 floats) are kept per weight version. */
    private static final AgainstReference.Case IMPLICIT_GEMM_CACHED_LAYER =
            layer(2, 48, 40, 40, 152, 3, 2, 1, 1, 1, true, PaddingMode.REFLECT);

    static Stream<Arguments> weightCachingLayers() {
        return Stream.of(Arguments.of(WINOGRAD_LAYERS[2]), Arguments.of(CHANNEL_GEMM_LAYERS[0]),
                Arguments.of(CHANNEL_GEMM_LAYERS[2]), Arguments.of(WINOGRAD_2X2_LAYERS[1]),
                Arguments.of(IMPLICIT_GEMM_CACHED_LAYER));
    }

    @Test
    void winograd2x2RunsOnSmallMaps() {
        for (AgainstReference.Case c : WINOGRAD_2X2_LAYERS) {
            assertTrue(describe(c).startsWith("Winograd F(2x2,3x3)"), c + ": " + describe(c));
            AgainstReference.check(TWO_THREADS, c);
        }
        assertTrue(describe(layer(1, 64, 7, 7, 64, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS)).startsWith("implicit"),
                "64 channels: measured slower than the implicit GEMM");
    }

    @Test
    void channelGemmRunsOnSmallMapsWithManyChannels() {
        for (AgainstReference.Case c : CHANNEL_GEMM_LAYERS) {
            assertTrue(describe(c).startsWith("channel-vectorized GEMM"), c + ": " + describe(c));
        }
        assertTrue(describe(layer(1, 512, 28, 28, 256, 1, 1, 0, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("pointwise 1x1 as a plain GEMM"), "28x28: the pixel vectors are full");
        assertTrue(describe(layer(1, 512, 7, 7, 16, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("implicit GEMM"), "16 output channels fill a third of a 48-channel block");
        String pointwise64 = describe(layer(1, 192, 14, 14, 64, 1, 1, 0, 1, 1, false, PaddingMode.ZEROS));
        if (ChannelGemmKernel.forMachine() == ChannelGemmKernel.WIDE) {
            assertTrue(pointwise64.startsWith("pointwise 1x1 as a plain GEMM"),
                    "64 output channels waste a third of two 48-channel blocks");
        } else {
            assertTrue(pointwise64.startsWith("channel-vectorized GEMM"), "1x1: four whole 16-channel blocks");
        }
        assertFalse(describe(layer(1, 64, 14, 14, 64, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("channel-vectorized GEMM on im2col"), "3x3 with 64 output channels: below MIN_CHANNELS");
        assertTrue(describe(CHANNEL_GEMM_LAYERS[1]).contains("register tiles of "
                + ChannelGemmKernel.forMachine().describe()), "3 images of 7x7: 147 pixels");
        String sevenBySeven = describe(CHANNEL_GEMM_LAYERS[0]);
        assertTrue(sevenBySeven.contains("register tiles of " + ChannelGemmKernel.forColumns(49).describe()));
        if (ChannelGemmKernel.forMachine() == ChannelGemmKernel.WIDE) {
            assertTrue(sevenBySeven.contains("48 channels x 7 pixels"), "7x7: tiles of 7 pixels, " + sevenBySeven);
        }
    }

    @Test
    void stridedPointwiseLayersRunThePointwisePlansOnTheSubsampledInput() {
        assertTrue(describe(SUBSAMPLED_LAYERS[0]).startsWith("gathered im2col (256 x 49 per image: a strided 1x1"
                + " layer's input subsampled), then channel-vectorized GEMM on im2col panels of the input (147 pixels"),
                describe(SUBSAMPLED_LAYERS[0]));
        assertTrue(describe(SUBSAMPLED_LAYERS[1]).contains("then pointwise 1x1 as a plain GEMM on the input"),
                describe(SUBSAMPLED_LAYERS[1]));
        for (AgainstReference.Case c : SUBSAMPLED_LAYERS) {
            assertTrue(describe(c).startsWith("gathered im2col"), c + ": " + describe(c));
            AgainstReference.check(TWO_THREADS, c);
        }
        assertFalse(describe(layer(1, 64, 56, 56, 128, 2, 2, 0, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("gathered"), "2x2 stride 2: the gathered matrix is as large as the layout's copy");
    }

    @Test
    void stemsAndStridedLayersRunTheStemPlanWhereVectorsAreNarrow() {
        for (AgainstReference.Case c : List.of(layer(2, 3, 64, 60, 64, 7, 2, 3, 1, 1, true, PaddingMode.ZEROS),
                layer(1, 32, 58, 57, 48, 3, 2, 1, 1, 1, true, PaddingMode.ZEROS))) {
            assertEquals(GemmKernel.NARROW_TILE, describe(c).startsWith("channel-vectorized GEMM reading"),
                    describe(c));
            AgainstReference.check(TWO_THREADS, c);
        }
        assertTrue(describe(layer(1, 3, 64, 64, 32, 3, 2, 1, 1, 1, false, PaddingMode.ZEROS)).startsWith("implicit"),
                "27 taps: the stores weigh more than the FMAs");
        assertTrue(describe(layer(1, 64, 56, 56, 128, 1, 2, 0, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("gathered im2col"), "1x1 stride 2: the input subsampled");
        assertTrue(describe(layer(1, 64, 56, 56, 40, 3, 2, 1, 1, 1, false, PaddingMode.ZEROS)).startsWith("implicit"),
                "40 channels: no whole tiles");
        assertTrue(describe(layer(1, 64, 28, 28, 128, 3, 2, 1, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("channel-vectorized GEMM on im2col"), "196 output pixels: the channel GEMM's");
    }

    /**
     * {@link StemPlan}'s interleaved copy, which the backend reaches only on wide strided layers (2,048 taps or more,
     * or 128 channels in and out):
     * forced onto the narrow tile here on any machine, with a partial last block, groups, bias, reflect padding and a
     * fused ReLU, against the reference.
     */
    @Test
    void stemPlanReadsWideLayersInterleavedAndAgreesWithReference() {
        WorkerPool pool = WorkerPool.of(2);
        for (AgainstReference.Case c : List.of(layer(2, 232, 9, 11, 20, 3, 2, 1, 1, 1, true, PaddingMode.ZEROS),
                layer(1, 464, 10, 7, 36, 3, 2, 1, 1, 2, false, PaddingMode.REFLECT))) {
            ConvGeometry g = c.geometry();
            assertTrue(StemPlan.interleaves(g, ChannelGemmKernel.NARROW), c.toString());
            try (StemPlan plan = new StemPlan(g, pool, PostOp.NONE, ChannelGemmKernel.NARROW)) {
                assertTrue(plan.describe().contains("channels interleaved in 8s"), plan.describe());
                AgainstReference.check(x -> plan, c);
            }
        }
        AgainstReference.Case relu = layer(1, 256, 8, 8, 32, 3, 2, 1, 1, 1, true, PaddingMode.ZEROS);
        try (StemPlan fused = new StemPlan(relu.geometry(), pool, PostOp.RELU, ChannelGemmKernel.NARROW);
             StemPlan plain = new StemPlan(relu.geometry(), pool, PostOp.NONE, ChannelGemmKernel.NARROW)) {
            float[] in = Tensor.uniform(5, -1f, 1f, relu.inputShape()).data();
            float[] w = Tensor.uniform(6, -1f, 1f, relu.weightShape()).data();
            float[] b = Tensor.uniform(7, -1f, 1f, 32).data();
            int length = 32 * 4 * 4;
            float[] expected = new float[length];
            float[] out = new float[length];
            plain.forward(in, w, b, expected);
            fused.forward(in, w, b, out);
            int negatives = 0;
            for (int i = 0; i < length; i++) {
                negatives += expected[i] < 0 ? 1 : 0;
                assertEquals(Math.max(0f, expected[i]), out[i], 0f, "element " + i);
            }
            assertTrue(negatives > 0, "the check needs negative outputs");
        }
        assertTrue(StemPlan.interleaves(layer(1, 128, 56, 56, 128, 3, 2, 1, 1, 1, false, PaddingMode.ZEROS)
                .geometry(), ChannelGemmKernel.NARROW), "1,152 taps, 128 channels in and out");
        assertFalse(StemPlan.interleaves(layer(1, 128, 56, 56, 64, 3, 2, 1, 1, 1, false, PaddingMode.ZEROS)
                .geometry(), ChannelGemmKernel.NARROW), "1,152 taps, 64 output channels: the copy costs more");
        assertFalse(StemPlan.interleaves(layer(1, 64, 56, 56, 128, 5, 2, 2, 1, 1, false, PaddingMode.ZEROS)
                .geometry(), ChannelGemmKernel.NARROW), "1,600 taps, 64 input channels: the lines stay cached");
        assertFalse(StemPlan.interleaves(layer(1, 252, 9, 9, 16, 3, 2, 1, 1, 1, false, PaddingMode.ZEROS)
                .geometry(), ChannelGemmKernel.NARROW), "252 channels: not whole groups of 8");
    }

    @Test
    void winogradRunsWhereItMeasuredFaster() {
        for (AgainstReference.Case c : WINOGRAD_LAYERS) {
            assertTrue(describe(c).startsWith("Winograd F(4x4,3x3)"), c.toString());
        }
        assertTrue(describe(layer(1, 32, 28, 28, 32, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS)).startsWith("implicit"),
                "32 channels: the transforms cost more than the GEMM saves");
        assertTrue(describe(layer(4, 512, 7, 7, 512, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS)).startsWith("Winograd"),
                "16 tiles reuse the 38 MB of transformed filters enough");
        assertTrue(describe(layer(2, 512, 7, 7, 512, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("Winograd F(2x2,3x3)"), "8 tiles do not: F(2x2, 3x3) has 32");
    }

    @ParameterizedTest
    @MethodSource("largeLayers")
    void agreesWithReferenceOnLargeLayers(AgainstReference.Case c) {
        AgainstReference.check(TWO_THREADS, c);
    }

    @Test
    void weightsArePackedOnlyWhereTheyAreReusedEnough() {
        assertTrue(describe(layer(1, 64, 56, 56, 64, 3, 1, 1, 2, 1, false, PaddingMode.ZEROS))
                .contains("weights packed per call"));
        assertTrue(describe(IMPLICIT_GEMM_CACHED_LAYER).startsWith("implicit GEMM")
                && describe(IMPLICIT_GEMM_CACHED_LAYER).contains("weights packed once per weight version"));
        assertTrue(describe(layer(1, 512, 7, 7, 16, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS))
                .contains("weights read in place"));
    }

    /** The 3x3 depthwise kernel that computes four rows at once, at every row remainder, width and mode. */
    static Stream<Arguments> depthwise3x3() {
        Stream.Builder<Arguments> b = Stream.builder();
        int[][] sizes = {{4, 16}, {5, 17}, {6, 31}, {7, 33}, {9, 48}, {12, 7}};
        int i = 0;
        for (int[] hw : sizes) {
            for (PaddingMode mode : PaddingMode.values()) {
                int multiplier = 1 + i % 3;
                int dilationW = 1 + i % 2;
                b.add(Arguments.of(new AgainstReference.Case(new int[] {2, 5, hw[0], hw[1]},
                        new int[] {5 * multiplier, 1, 3, 3}, i % 2 == 0,
                        new ConvParams(1, 1, Padding.of(1, dilationW), 1, dilationW, 5, mode), i)));
                i++;
            }
        }
        return b.build();
    }

    @ParameterizedTest
    @MethodSource("depthwise3x3")
    void depthwiseThreeByThreeRowsAgree(AgainstReference.Case c) {
        AgainstReference.check(new CpuBackend(2, 0), c);
    }

    /**
     * Narrow 3x3 depthwise planes go channel-blocked, except MobileNet's (stride 1 or 2, padding one with zeros,
     * read in place): full and partial blocks of channels (5, 16, 21, 37 on 16 lanes), every padding mode, strides,
     * dilations, asymmetric {@code same} padding, batch 2, with and without bias; the blocked plan runs every case.
     */
    static Stream<Arguments> channelBlocked() {
        Stream.Builder<Arguments> b = Stream.builder();
        int[] channels = {5, 16, 21, 37};
        int[][] sizes = {{7, 7}, {14, 14}, {9, 13}, {15, 16}, {3, 5}};
        int i = 0;
        for (int c : channels) {
            for (int[] hw : sizes) {
                PaddingMode mode = PaddingMode.values()[i % 4];
                int stride = 1 + i % 2;
                int dilation = 1 + (i / 3) % 2;
                Padding padding = i % 5 == 4 && stride == 1 ? Padding.SAME : Padding.of(dilation, dilation);
                b.add(Arguments.of(new AgainstReference.Case(new int[] {2, c, hw[0], hw[1]}, new int[] {c, 1, 3, 3},
                        i % 2 == 0, new ConvParams(stride, stride, padding, dilation, dilation, c, mode), 100 + i)));
                i++;
            }
        }
        return b.build();
    }

    @ParameterizedTest
    @MethodSource("channelBlocked")
    void depthwiseChannelBlocksAgree(AgainstReference.Case c) {
        boolean inPlace = DepthwiseRowsPlan.readsInPlace(c.geometry());
        assertEquals(!inPlace, TWO_THREADS.plan(c.geometry()).describe().contains("blocks of"), c.toString());
        AgainstReference.check(g -> new DepthwiseChannelBlockPlan(g, WorkerPool.of(2)), c);
        AgainstReference.check(g -> new DepthwiseChannelBlockPlan(g, WorkerPool.of(1)), c);
        AgainstReference.check(new CpuBackend(2, 0), c);
    }

    /**
     * Stride-2 layers wide enough for the vectorized deinterleave of phase rows, depthwise (multiplier 2, which
     * is not channel-blocked) and implicit GEMM,
     * every padding mode, odd and even widths (so both phases' rows start at either parity).
     */
    static Stream<Arguments> deinterleaved() {
        Stream.Builder<Arguments> b = Stream.builder();
        int[] widths = {36, 37, 64, 97};
        int i = 0;
        for (int w : widths) {
            for (PaddingMode mode : PaddingMode.values()) {
                int pad = i % 3;
                boolean depthwise = i % 2 == 0;
                int c = 3;
                b.add(Arguments.of(new AgainstReference.Case(new int[] {2, c, 5 + i % 4, w},
                        new int[] {depthwise ? 2 * c : 4, depthwise ? 1 : c, 3, 3}, i % 3 == 0,
                        new ConvParams(2, 2, Padding.of(pad, pad), 1, 1, depthwise ? c : 1,
                                pad == 0 ? PaddingMode.ZEROS : mode), 200 + i)));
                i++;
            }
        }
        return b.build();
    }

    @ParameterizedTest
    @MethodSource("deinterleaved")
    void stride2DeinterleavedCopiesAgree(AgainstReference.Case c) {
        assertTrue(new FlatLayout(c.geometry()).deinterleaves(), c.toString());
        AgainstReference.check(new CpuBackend(2, 0), c);
    }

    @Test
    void choosesTheAlgorithmByShape() {
        assertTrue(describe(layer(1, 256, 56, 56, 64, 1, 1, 0, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("pointwise 1x1 as a plain GEMM"));
        assertTrue(describe(layer(1, 64, 56, 56, 64, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("Winograd F(4x4,3x3) on the input padded (zeros): 14 x 14 tiles per image"));
        assertTrue(describe(layer(1, 64, 56, 56, 64, 3, 1, 2, 2, 1, false, PaddingMode.ZEROS)).startsWith(
                "dilation 2 as one undilated 57x57 mosaic of the 4 phase images per image, split and interleaved on 2"
                        + " threads: Winograd F(4x4,3x3) on the input padded (zeros): 15 x 15 tiles per image"),
                "dilated, size-keeping: Winograd on the phase mosaic");
        assertTrue(describe(layer(1, 64, 56, 56, 64, 3, 1, 1, 2, 1, false, PaddingMode.ZEROS))
                .startsWith("implicit GEMM on a copy of the input padded (zeros)"), "dilated, shrinking: no Winograd");
        assertTrue(describe(layer(1, 8, 56, 56, 64, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("implicit GEMM"), "too few input channels for Winograd to pay");
        assertTrue(describe(layer(1, 512, 7, 7, 512, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("Winograd F(2x2,3x3)"), "too few tiles for F(4x4, 3x3)");
        assertTrue(describe(layer(1, 512, 14, 14, 512, 3, 2, 1, 1, 1, false, PaddingMode.ZEROS))
                .startsWith("channel-vectorized GEMM"), "strided: no Winograd");
        assertTrue(describe(layer(1, 3, 224, 224, 64, 7, 2, 3, 1, 1, false, PaddingMode.ZEROS))
                .contains("padded (zeros) and split into 2x2 stride phases"));
        assertTrue(describe(layer(1, 32, 112, 112, 32, 3, 1, 1, 1, 32, false, PaddingMode.ZEROS))
                .startsWith("depthwise direct 3x3 stencil per channel"));
        assertTrue(describe(layer(1, 960, 7, 7, 960, 3, 1, 1, 1, 960, false, PaddingMode.ZEROS))
                .contains("reading the input in place"));
        assertTrue(describe(layer(1, 192, 28, 28, 192, 3, 2, 1, 1, 192, false, PaddingMode.ZEROS))
                .contains("stride 2, reading the input in place"));
        assertTrue(describe(layer(1, 192, 28, 28, 192, 3, 2, 1, 1, 192, false, PaddingMode.REFLECT))
                .startsWith("depthwise direct 3x3 stencil on blocks of"), "reflect, 14 outputs wide: blocked");
        assertTrue(describe(layer(1, 96, 112, 112, 96, 3, 2, 1, 1, 96, false, PaddingMode.REPLICATE))
                .startsWith("depthwise direct 3x3 stencil per channel (multiplier 1) on a padded"),
                "replicate, 56 outputs wide: along rows on a copy");
        assertTrue(describe(layer(1, 64, 56, 56, 64, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS))
                .endsWith("2 threads"));
        assertTrue(describe(layer(1, 2, 5, 5, 2, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS)).endsWith("1 thread"),
                "tiny convolutions stay on the calling thread");
    }

    private static String describe(AgainstReference.Case c) {
        return TWO_THREADS.plan(c.geometry()).describe();
    }

    /**
     * The cold-start rule: a plan made for one call ({@link Options#singleCall()}, as {@code jconv run}
     * makes) runs the plain loops and says why; the same geometry planned for many calls keeps the vector kernels.
     */
    @Test
    void aSingleCallRunsThePlainLoops() {
        AgainstReference.Case c = layer(1, 64, 32, 32, 128, 3, 1, 1, 1, 1, true, PaddingMode.ZEROS);
        Options twoThreads = Options.defaults().withThreads(2);
        ConvBackend once = TWO_THREADS.configured(twoThreads.withSingleCall(true));
        assertTrue(once.plan(c.geometry()).describe().startsWith("plain Java loops (" + CpuBackend.SINGLE_CALL_REASON
                + ")"), once.plan(c.geometry()).describe());
        AgainstReference.check(once::plan, c);
        assertTrue(describe(c).startsWith("Winograd"), describe(c));
        assertTrue(once.configured(twoThreads).plan(c.geometry()).describe().startsWith("Winograd"));
    }

    @Test
    void autoPicksCpuOverTheReference() {
        ConvGeometry g = layer(1, 3, 8, 8, 4, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS).geometry();
        Backends.Selection s = Backends.select(Backends.AUTO, g);
        assertEquals(CpuBackend.NAME, s.backend().name(), s.reason());
    }

    @Test
    void unbatchedInputThroughTheFunctionalApi() {
        Tensor input = Tensor.uniform(5, -1f, 1f, 3, 9, 11);
        Tensor weight = Tensor.uniform(6, -1f, 1f, 4, 3, 3, 2);
        Tensor bias = Tensor.uniform(7, -1f, 1f, 4);
        ConvParams p = ConvParams.defaults().withPadding(Padding.SAME).withPaddingMode(PaddingMode.REFLECT);
        Tensor ref = Functional.conv2d(input, weight, bias, p, "cpu-reference");
        Tensor out = Functional.conv2d(input, weight, bias, p, "cpu");
        assertEquals(3, out.dim());
        AgainstReference.assertClose(ref.data(), out.data(), "unbatched same/reflect");
    }

    @Test
    void inputsTooLargeToCopyAreLeftToTheReference() {
        // 1 x 1 x 40000 x 40000 padded by 10000 on each side: the padded copy would be 3.6e9 floats.
        ConvGeometry huge = new ConvGeometry(1, 1, 40000, 40000, 1, 3, 3, 1, 1, 1, 1, 10000, 10000, 10000, 10000, 1,
                PaddingMode.ZEROS, 59998, 59998);
        assertFalse(TWO_THREADS.supports(huge));
        assertEquals("cpu-reference", Backends.select(Backends.AUTO, huge).backend().name());
        assertTrue(TWO_THREADS.supports(layer(1, 64, 56, 56, 64, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS).geometry()));
    }

    @Test
    void plansAreCachedPerGeometry() {
        CpuBackend cpu = new CpuBackend(2);
        ConvGeometry g = layer(1, 8, 10, 10, 8, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS).geometry();
        assertSame(cpu.plan(g), cpu.plan(g));
    }

    @Test
    void aClosedPlanRefusesWork() {
        AgainstReference.Case c = layer(1, 8, 10, 10, 8, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS);
        ConvPlan plan = new ImplicitGemmPlan(c.geometry(), WorkerPool.of(1));
        plan.close();
        plan.close();
        ConvGeometry g = c.geometry();
        float[] out = new float[g.batch() * g.outChannels() * g.outHeight() * g.outWidth()];
        assertThrows(IllegalStateException.class,
                () -> plan.forward(new float[8 * 100], new float[8 * 8 * 9], null, out));
    }

    @Test
    void wrongArrayLengthsAreNamed() {
        AgainstReference.Case c = layer(1, 8, 10, 10, 8, 3, 1, 1, 1, 1, false, PaddingMode.ZEROS);
        ConvPlan plan = TWO_THREADS.plan(c.geometry());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> plan.forward(new float[799], new float[8 * 8 * 9], null, new float[800]));
        assertEquals("input array has 799 elements, expected 800 for this geometry", e.getMessage());
    }

    @Test
    void threadCountComesFromThePropertyOrTheConstructor() {
        String old = System.getProperty(CpuBackend.THREADS_PROPERTY);
        try {
            System.setProperty(CpuBackend.THREADS_PROPERTY, "3");
            assertEquals(3, new CpuBackend().threads());
            System.setProperty(CpuBackend.THREADS_PROPERTY, "zero");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CpuBackend::defaultThreads);
            assertEquals("system property jconv.threads must be a thread count from 1 to 1024, got 'zero'",
                    e.getMessage());
            System.setProperty(CpuBackend.THREADS_PROPERTY, "40000");
            e = assertThrows(IllegalArgumentException.class, CpuBackend::defaultThreads);
            assertEquals("system property jconv.threads must be from 1 to 1024, got 40000", e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(CpuBackend.THREADS_PROPERTY);
            } else {
                System.setProperty(CpuBackend.THREADS_PROPERTY, old);
            }
        }
        assertEquals(5, new CpuBackend(5).threads());
        assertEquals("the thread count must be from 1 to 1024, got 0",
                assertThrows(IllegalArgumentException.class, () -> new CpuBackend(0)).getMessage());
        assertEquals("the thread count must be from 1 to 1024, got 100000",
                assertThrows(IllegalArgumentException.class, () -> new CpuBackend(100000)).getMessage());
    }

    @Test
    void availableWhenTheVectorModuleIsLoaded() {
        assertTrue(TWO_THREADS.availability().available(), TWO_THREADS.availability().toString());
        assertFalse(TWO_THREADS.availability().reason().isEmpty());
    }
}
