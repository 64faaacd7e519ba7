package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import org.junit.jupiter.api.Test;

/**
 * The kernels run with the vector width and register tile this JVM was started with: in the default test run the
 * machine's own, and in the {@code cpu-kernels-avx2} run (pom.xml) 256-bit vectors and so AVX2's 4x2 tile, so that
 * run's property, golden and layer tests really exercise the AVX2 shapes.
 */
class KernelTileTest {
    @Test
    void kernelsUseTheTileForTheirVectorWidth() {
        boolean x86 = System.getProperty("os.arch").equals("amd64");
        String tile = System.getProperty(GemmKernel.TILE_PROPERTY, x86 && GemmKernel.LANES < 16 ? "4x2" : "8x3");
        assertEquals(tile.equals("4x2") ? 4 : 8, GemmKernel.TILE_ROWS);
        assertEquals(tile.equals("4x2") ? 2 : 3, GemmKernel.VECTORS);
        ConvParams padded = new ConvParams(1, 1, Padding.of(1), 1, 1, 1, PaddingMode.ZEROS);
        String plan = new CpuBackend(1).plan(ConvValidator.checkForward(new int[] {1, 16, 20, 20},
                new int[] {16, 16, 3, 3}, null, padded)).describe();
        assertTrue(plan.contains(GemmKernel.tileShape()), plan);
        if (x86 && GemmKernel.F.vectorBitSize() == 256 && System.getProperty(GemmKernel.TILE_PROPERTY) == null) {
            assertEquals("4 channels x 2 vectors", GemmKernel.tileShape(), "AVX2's width gets the 4x2 tile");
            assertEquals("16 channels x 6 pixels", ChannelGemmKernel.forMachine().describe());
        }
        // layers of 4 or more 8-channel blocks and 16 or more input channels copy panels on the narrow tile only
        int blocks = ImplicitGemmPlan.PANEL_MIN_BLOCKS;
        int channels = ImplicitGemmPlan.PANEL_MIN_CHANNELS;
        String many = pointwise(channels, 8 * blocks);
        assertEquals(GemmKernel.NARROW_TILE, many.contains("input copied into a panel"), many);
        String fewBlocks = pointwise(channels, 8 * blocks - 8);
        assertFalse(fewBlocks.contains("panel"), fewBlocks);
        String fewChannels = pointwise(channels - 1, 8 * blocks);
        assertFalse(fewChannels.contains("panel"), fewChannels);
        // tiles whose panel is at least PANEL_CHUNK_MIN_BYTES are copied several at a time, the others one by one
        int bigPanelTaps = ImplicitGemmPlan.PANEL_CHUNK_MIN_BYTES / (GemmKernel.WIDTH * Float.BYTES);
        String big = pointwise(bigPanelTaps, 8 * blocks);
        int together = ImplicitGemmPlan.PANEL_CHUNK_BYTES / ImplicitGemmPlan.PANEL_CHUNK_MIN_BYTES;
        assertEquals(GemmKernel.NARROW_TILE, big.contains("panel first (tiles per copy: " + together + ")"), big);
        String small = pointwise(bigPanelTaps - 8, 8 * blocks);
        assertEquals(GemmKernel.NARROW_TILE, small.contains("panel first (tiles per copy: 1)"), small);
    }

    /** The plan of a 1x1 layer of {@code in} input channels and {@code out} output channels on 56x56. */
    private static String pointwise(int in, int out) {
        ConvParams none = new ConvParams(1, 1, Padding.of(0), 1, 1, 1, PaddingMode.ZEROS);
        return new CpuBackend(2).plan(ConvValidator.checkForward(new int[] {1, in, 56, 56},
                new int[] {out, in, 1, 1}, null, none)).describe();
    }

    @Test
    void partialLoadsGiveTheirLanesAndZerosAlsoAtTheArrayEnd() {
        float[] a = new float[3 * GemmKernel.LANES + 5];
        for (int i = 0; i < a.length; i++) {
            a[i] = i + 1;
        }
        for (int lanes = 1; lanes < GemmKernel.LANES; lanes++) {
            var valid = GemmKernel.F.indexInRange(0, lanes);
            for (int o : new int[] {0, a.length - GemmKernel.LANES, a.length - lanes}) {
                float[] got = GemmKernel.loadFirst(a, o, valid, lanes).toArray();
                for (int i = 0; i < GemmKernel.LANES; i++) {
                    assertEquals(i < lanes ? a[o + i] : 0f, got[i], "lanes " + lanes + " at " + o + ", lane " + i);
                }
            }
        }
    }

    /**
     * Every channel count of a block, on every register shape: the block's first {@code channels} columns of each
     * tile row are the sums over taps, whichever of the full and narrower kernels runs them, and the weights past
     * them (which the narrower kernels must not read as theirs) are large, so that reading them shows.
     */
    @Test
    void channelKernelsComputeEveryChannelCountOfABlock() {
        java.util.Random random = new java.util.Random(7);
        int taps = 37;
        for (ChannelGemmKernel kernel : ChannelGemmKernel.SHAPES) {
            int width = kernel.channels();
            int p = kernel.pixels;
            float[] panel = new float[3 + taps * p];
            for (int i = 0; i < panel.length; i++) {
                panel[i] = random.nextFloat() * 2 - 1;
            }
            for (int channels = 1; channels <= width; channels++) {
                float[] wp = new float[5 + taps * width];
                for (int t = 0; t < taps; t++) {
                    for (int j = 0; j < width; j++) {
                        wp[5 + t * width + j] = j < channels ? random.nextFloat() * 2 - 1 : 1e6f;
                    }
                }
                float[] tile = new float[kernel.tileLength()];
                if (kernel.fills(channels)) {
                    kernel.run(panel, 3, wp, 5, taps, tile);
                } else {
                    kernel.runPart(panel, 3, wp, 5, taps, tile, channels);
                }
                for (int i = 0; i < p; i++) {
                    for (int j = 0; j < channels; j++) {
                        double sum = 0;
                        for (int t = 0; t < taps; t++) {
                            sum += (double) panel[3 + t * p + i] * wp[5 + t * width + j];
                        }
                        assertEquals(sum, tile[i * width + j], 1e-4, kernel.describe() + ", " + channels
                                + " channels: pixel " + i + ", channel " + j);
                    }
                }
            }
        }
    }
}
