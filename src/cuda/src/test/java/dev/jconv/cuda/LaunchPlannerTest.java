package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The launch arithmetic of the cuda-ptx backend, checked without a GPU. */
class LaunchPlannerTest {
    private static final int H200_SMS = 132;

    static ConvGeometry geometry(int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
        return ConvValidator.checkForward(new int[] {n, c, h, w}, new int[] {k, c / p.groups(), kh, kw}, null, p);
    }

    @Test
    void depthwiseUsesTheDirectKernelWithOneBlockPerOutputTile() {
        ConvParams p = ConvParams.defaults().withPadding(1).withGroups(32);
        ConvLaunch launch = LaunchPlanner.plan(geometry(2, 32, 112, 112, 32, 3, 3, p), H200_SMS);
        ConvLaunch.Direct d = assertInstanceOf(ConvLaunch.Direct.class, launch);
        assertEquals(4, d.tilesX());           // ceil(112 / 32)
        assertEquals(14, d.tilesY());          // ceil(112 / 8)
        assertEquals(2 * 32 * 4 * 14, d.config().gridX());
        assertEquals(32, d.config().blockX());
        assertEquals(8, d.config().blockY());
        assertEquals(10, d.inTileH());         // (8 - 1) * 1 + (3 - 1) * 1 + 1
        assertEquals(34, d.inTileW());         // (32 - 1) * 1 + 2 + 1
        assertEquals(10 * 34 * 4, d.config().sharedMemoryBytes());
        assertEquals("conv2d_direct", d.kernelName());
        assertTrue(d.reason().contains("depthwise"), d.reason());
    }

    @Test
    void directWindowGrowsWithStrideAndDilation() {
        ConvParams p = ConvParams.defaults().withStride(2, 3).withDilation(2, 4).withGroups(8);
        ConvLaunch.Direct d = assertInstanceOf(ConvLaunch.Direct.class,
                LaunchPlanner.plan(geometry(1, 8, 64, 200, 16, 5, 3, p), H200_SMS));
        assertEquals(7 * 2 + 4 * 2 + 1, d.inTileH());
        assertEquals(31 * 3 + 2 * 4 + 1, d.inTileW());
    }

    @Test
    void directKernelThatWouldOverflowSharedMemoryFallsBackToGemm() {
        ConvParams p = ConvParams.defaults().withStride(3).withDilation(10).withGroups(4);
        ConvGeometry g = geometry(1, 4, 96, 96, 4, 9, 9, p);
        ConvLaunch launch = LaunchPlanner.plan(g, H200_SMS);
        assertInstanceOf(ConvLaunch.ImplicitGemm.class, launch);
        assertTrue(launch.reason().startsWith("implicit GEMM"), launch.reason());
    }

    @Test
    void resnetThreeByThreeWithSixtyFourChannelsUsesTheSmallTile() {
        ConvGeometry g = geometry(1, 64, 56, 56, 64, 3, 3, ConvParams.defaults().withPadding(1));
        ConvLaunch.ImplicitGemm m = assertInstanceOf(ConvLaunch.ImplicitGemm.class, LaunchPlanner.plan(g, H200_SMS));
        assertEquals("conv2d_igemm_64x64", m.kernelName());
        assertEquals(64 * 9, m.reduction());
        assertEquals(56 * 56, m.gemmN());
        assertEquals(49, m.config().gridX());  // ceil(3136 / 64)
        assertEquals(1, m.config().gridY());
        assertEquals(1, m.config().gridZ());
        assertEquals(256, m.config().blockX());
        assertTrue(m.vectorA());   // 576 % 4 == 0
        assertFalse(m.vectorB());  // not pointwise
        assertTrue(m.vectorOut()); // 3136 % 4 == 0
        assertEquals(16L * 576, m.scratchBytes());
    }

    @Test
    void largeGemmUsesTheBigTileWhenItFillsTheGpu() {
        ConvGeometry g = geometry(32, 128, 28, 28, 128, 3, 3, ConvParams.defaults().withPadding(1));
        ConvLaunch.ImplicitGemm m = assertInstanceOf(ConvLaunch.ImplicitGemm.class, LaunchPlanner.plan(g, H200_SMS));
        assertEquals("conv2d_igemm_128x128", m.kernelName());
        assertEquals(196, m.config().gridX());  // 32 * 784 / 128
        assertEquals(1, m.config().gridY());    // 128 / 128
        // 512 channels at 7x7, batch 32: 13 x 4 = 52 big tiles cannot fill 132 SMs, so the small tile
        assertEquals("conv2d_igemm_64x64", LaunchPlanner.plan(
                geometry(32, 512, 7, 7, 512, 3, 3, ConvParams.defaults().withPadding(1)), H200_SMS).kernelName());
        // the same layer at batch 1 has only 7 tiles of 128x128: the small tile spreads it wider
        ConvLaunch small = LaunchPlanner.plan(g.withBatch(1), H200_SMS);
        assertEquals("conv2d_igemm_64x64", small.kernelName());
    }

    @Test
    void pointwiseWithPlanesOfFourUsesVectorLoads() {
        ConvLaunch.ImplicitGemm m = assertInstanceOf(ConvLaunch.ImplicitGemm.class,
                LaunchPlanner.plan(geometry(1, 256, 14, 14, 1024, 1, 1, ConvParams.defaults()), H200_SMS));
        assertTrue(m.vectorA() && m.vectorB() && m.vectorOut());
        ConvLaunch.ImplicitGemm odd = assertInstanceOf(ConvLaunch.ImplicitGemm.class,
                LaunchPlanner.plan(geometry(1, 6, 7, 7, 12, 1, 1, ConvParams.defaults()), H200_SMS));
        assertFalse(odd.vectorA());  // reduction 6
        assertFalse(odd.vectorB());  // 49 pixels per plane
        assertFalse(odd.vectorOut());
        ConvLaunch.ImplicitGemm strided = assertInstanceOf(ConvLaunch.ImplicitGemm.class,
                LaunchPlanner.plan(geometry(1, 64, 28, 28, 128, 1, 1, ConvParams.defaults().withStride(2)), H200_SMS));
        assertFalse(strided.vectorB());  // a 1x1 stride-2 gather is not contiguous
    }

    @Test
    void groupsBecomeTheGridsZDimension() {
        ConvGeometry g = geometry(2, 64, 17, 17, 128, 3, 3, ConvParams.defaults().withPadding(1).withGroups(4));
        ConvLaunch.ImplicitGemm m = assertInstanceOf(ConvLaunch.ImplicitGemm.class, LaunchPlanner.plan(g, H200_SMS));
        assertEquals(4, m.config().gridZ());
        assertEquals(16 * 9, m.reduction());
        assertEquals(1, m.config().gridY());  // 32 output channels per group
    }

    @Test
    void tapTableListsChannelOffsetAndDilatedTapPerReductionIndex() {
        ConvGeometry g = geometry(1, 2, 5, 7, 3, 2, 3, ConvParams.defaults().withDilation(2, 3));
        int[] taps = LaunchPlanner.taps(g);
        assertEquals(4 * 2 * 2 * 3, taps.length);
        // q = (c * 2 + r) * 3 + s  ->  {c * 35, r * 2, s * 3, 0}
        assertArrayEquals(new int[] {0, 0, 0, 0}, java.util.Arrays.copyOfRange(taps, 0, 4));
        assertArrayEquals(new int[] {0, 0, 6, 0}, java.util.Arrays.copyOfRange(taps, 4 * 2, 4 * 3));       // q=2: s=2
        assertArrayEquals(new int[] {0, 2, 3, 0}, java.util.Arrays.copyOfRange(taps, 4 * 4, 4 * 5));       // q=4: r=1 s=1
        assertArrayEquals(new int[] {35, 2, 6, 0}, java.util.Arrays.copyOfRange(taps, 4 * 11, 4 * 12));    // q=11: c=1 r=1 s=2
    }

    @Test
    void asymmetricSamePaddingReachesTheKernelAsTopAndLeft() {
        ConvGeometry g = geometry(1, 4, 10, 10, 8, 4, 4, ConvParams.defaults().withPadding(Padding.SAME));
        assertEquals(1, g.padTop());
        assertEquals(2, g.padBottom());
        KernelArgs args = LaunchPlanner.plan(g, H200_SMS).arguments(0, 0, 0, 0, 0, false);
        assertEquals(1, args.intValue("pad_top"));
        assertEquals(1, args.intValue("pad_left"));
    }

    @Test
    void paddingModeCodesMatchTheKernelHeader() throws IOException {
        String header = Files.readString(Path.of("native-kernels/conv_common.cuh"));
        for (PaddingMode mode : PaddingMode.values()) {
            Matcher m = Pattern.compile("#define JCONV_PAD_" + mode.name() + " (\\d+)").matcher(header);
            assertTrue(m.find(), "conv_common.cuh defines JCONV_PAD_" + mode.name());
            assertEquals(Integer.parseInt(m.group(1)), LaunchPlanner.paddingModeCode(mode), mode.name());
        }
    }

    @Test
    void everyReasonableGeometryIsSupported() {
        assertNull(LaunchPlanner.unsupportedReason(geometry(256, 3, 224, 224, 64, 7, 7,
                ConvParams.defaults().withStride(2).withPadding(3))));
    }

    @Test
    void geometryBeyondThe32BitGemmIndexAndTheDirectKernelIsUnsupportedWithAReason() {
        // 1x1 over 46341^2 pixels: too many GEMM columns, and 64 output channels per group rule out nothing
        // for the direct kernel except that its grid would need more than 2^31 blocks at this batch
        ConvGeometry g = new ConvGeometry(8, 64, 46341, 46341, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
                PaddingMode.ZEROS, 46341, 46341);
        String reason = LaunchPlanner.unsupportedReason(g);
        assertNotNull(reason);
        assertTrue(reason.contains("32-bit index"), reason);
        assertTrue(reason.contains("blocks"), reason);
        assertThrows(IllegalArgumentException.class, () -> LaunchPlanner.plan(g, H200_SMS));
    }

    @Test
    void emptyOutputHasNothingToLaunch() {
        ConvGeometry g = geometry(0, 3, 8, 8, 4, 3, 3, ConvParams.defaults());
        assertEquals(0, LaunchPlanner.outputElements(g));
        assertThrows(IllegalArgumentException.class, () -> LaunchPlanner.plan(g, H200_SMS));
    }

    @Test
    void launchConfigRejectsWhatCudaWouldReject() {
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(1, 65536, 1, 32, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(1, 1, 1, 32, 33, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(0, 1, 1, 32, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(1, 1, 1, 32, 1, 1, 48 * 1024 + 4));
        assertEquals(256, new LaunchConfig(5, 1, 1, 32, 8, 1, 0).threadsPerBlock());
    }

    @Test
    void aChosenKernelIsPlannedWhateverTheRuleWouldPick() {
        ConvGeometry small = ConvValidator.checkForward(new int[] {1, 16, 14, 14}, new int[] {32, 16, 3, 3}, null,
                ConvParams.defaults().withPadding(1));
        assertEquals("conv2d_igemm_64x64", LaunchPlanner.plan(small, 132).kernelName());
        ConvLaunch big = LaunchPlanner.plan(small, LaunchPlanner.Kernel.GEMM_128X128);
        assertEquals("conv2d_igemm_128x128", big.kernelName());
        assertEquals(1, big.config().gridY());  // 32 rows in one 128-row tile
        assertEquals("conv2d_direct", LaunchPlanner.plan(small, LaunchPlanner.Kernel.DIRECT).kernelName());
    }

    @Test
    void aChosenKernelThatCannotRunTheShapeIsRefusedWithTheReason() {
        ConvGeometry wideWindow = ConvValidator.checkForward(new int[] {1, 4, 96, 96}, new int[] {4, 1, 9, 9}, null,
                ConvParams.defaults().withStride(3).withDilation(10).withGroups(4));
        assertFalse(LaunchPlanner.canRun(wideWindow, LaunchPlanner.Kernel.DIRECT));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LaunchPlanner.plan(wideWindow, LaunchPlanner.Kernel.DIRECT));
        assertTrue(e.getMessage().startsWith("conv2d_direct cannot run it: conv2d_direct's input window"), e.getMessage());
    }

    /** A stride and padding of 2^31 - 1 are valid (PyTorch gives 3x3) but the kernels index in int: refused, not wrapped. */
    @Test
    void coordinatesPastTwoToThe31AreRefusedByEveryGpuPath() {
        ConvGeometry g = ConvValidator.checkForward(new int[] {1, 1, 10, 10}, new int[] {1, 1, 3, 3}, null,
                ConvParams.defaults().withStride(Integer.MAX_VALUE).withPadding(Integer.MAX_VALUE));
        assertEquals(3, g.outHeight());
        assertFalse(g.fitsIntCoordinates());
        assertEquals(LaunchPlanner.INT_COORDINATES, LaunchPlanner.unsupportedReason(g));
        assertFalse(new dev.jconv.cuda.cudnn.CudnnBackend().supports(g));
        assertFalse(new dev.jconv.cuda.cublas.CublasBackend().supports(g));
        ConvGeometry ordinary = ConvValidator.checkForward(new int[] {1, 1, 10, 10}, new int[] {1, 1, 3, 3}, null,
                ConvParams.defaults().withStride(100000));
        assertTrue(ordinary.fitsIntCoordinates(), "a large stride alone stays in range");
    }
}
