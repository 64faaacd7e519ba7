package dev.jconv.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.Tensor;
import dev.jconv.viz.FeatureMapRenderer.Options;
import dev.jconv.viz.FeatureMapRenderer.Picture;
import dev.jconv.viz.FeatureMapRenderer.Tile;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeatureMapRendererTest {

    /** Maps whose values are known: channel c, pixel (y, x) holds {@code c * 100 + y * w + x}. */
    private static FeatureMaps ramps(int c, int h, int w) {
        Tensor t = Tensor.zeros(c, h, w);
        for (int k = 0; k < c; k++) {
            for (int i = 0; i < h * w; i++) {
                t.data()[k * h * w + i] = k * 100 + i;
            }
        }
        List<String> titles = new java.util.ArrayList<>();
        for (int k = 0; k < c; k++) {
            titles.add("channel " + k);
        }
        return new FeatureMaps(t, titles, "test ramps");
    }

    private static int gray(BufferedImage img, int x, int y) {
        int rgb = img.getRGB(x, y) & 0xffffff;
        assertEquals(rgb >> 16 & 0xff, rgb & 0xff, "not gray at " + x + "," + y);
        return rgb & 0xff;
    }

    /** The picture pixel at the centre of map pixel (y, x) of a tile enlarged by a whole factor. */
    private static int[] centre(Tile t, int mapH, int mapW, int y, int x) {
        int fy = t.bounds().height / mapH;
        int fx = t.bounds().width / mapW;
        return new int[] {t.bounds().x + x * fx + fx / 2, t.bounds().y + y * fy + fy / 2};
    }

    @Test
    void grayscaleGridHasOneTitledTilePerChannelWithMinBlackAndMaxWhite() {
        Picture p = FeatureMapRenderer.render(ramps(3, 4, 5), Options.of(RenderMode.GRAYSCALE));
        assertEquals(3, p.tiles().size());
        for (int k = 0; k < 3; k++) {
            Tile t = p.tiles().get(k);
            assertEquals(k, t.channel());
            // 5 wide: enlarged by ceil(128 / 5) = 26 to 130 x 104.
            assertEquals(new Rectangle(t.bounds().x, t.bounds().y, 130, 104), t.bounds());
            assertEquals(k * 100, t.range().lo());
            assertEquals(k * 100 + 19, t.range().hi());
            int[] first = centre(t, 4, 5, 0, 0);
            int[] last = centre(t, 4, 5, 3, 4);
            int[] mid = centre(t, 4, 5, 1, 2); // value 7 of 0..19
            assertEquals(0, gray(p.image(), first[0], first[1]));
            assertEquals(255, gray(p.image(), last[0], last[1]));
            assertEquals(Math.round(7 / 19.0 * 255), gray(p.image(), mid[0], mid[1]));
        }
        assertTrue(p.tiles().get(1).bounds().x > p.tiles().get(0).bounds().getMaxX(), "tiles side by side");
        assertTrue(p.image().getWidth() >= 3 * 130);
        assertTrue(p.normalizationNote().contains("each map scaled to its own range"), p.normalizationNote());
    }

    @Test
    void sharedNormalizationUsesOneRangeForAllMaps() {
        Picture p = FeatureMapRenderer.render(ramps(2, 4, 5),
                new Options(RenderMode.GRAYSCALE, null, Normalization.SHARED, 0));
        for (Tile t : p.tiles()) {
            assertEquals(new FeatureMapRenderer.Range(0, 119), t.range());
        }
        int[] px = centre(p.tiles().get(0), 4, 5, 3, 4); // value 19 of 0..119
        assertEquals(Math.round(19 / 119.0 * 255), gray(p.image(), px[0], px[1]));
        assertTrue(p.normalizationNote().contains("one range for all maps [0, 119]"), p.normalizationNote());
    }

    @Test
    void heatmapUsesViridisAndDrawsAColorbarBesideEachMap() {
        Picture p = FeatureMapRenderer.render(ramps(2, 4, 5), Options.of(RenderMode.HEATMAP));
        for (Tile t : p.tiles()) {
            int[] low = centre(t, 4, 5, 0, 0);
            int[] high = centre(t, 4, 5, 3, 4);
            assertEquals(Viridis.rgb(0), p.image().getRGB(low[0], low[1]) & 0xffffff);
            assertEquals(Viridis.rgb(1), p.image().getRGB(high[0], high[1]) & 0xffffff);
            int barX = (int) t.bounds().getMaxX() + 6 + 3;
            assertEquals(Viridis.rgb(1), p.image().getRGB(barX, t.bounds().y) & 0xffffff, "colorbar top");
            assertEquals(Viridis.rgb(0), p.image().getRGB(barX, (int) t.bounds().getMaxY() - 1) & 0xffffff,
                    "colorbar bottom");
        }
        assertTrue(p.normalizationNote().startsWith("Viridis"));
    }

    @Test
    void rgbCompositePutsTheChosenChannelsInRedGreenAndBlue() {
        FeatureMaps maps = ramps(4, 4, 5);
        // Make channel 3 decrease so that it differs from the others in shape, not only in offset.
        for (int i = 0; i < 20; i++) {
            maps.maps().data()[3 * 20 + i] = -i;
        }
        Picture p = FeatureMapRenderer.render(maps, new Options(RenderMode.RGB, new int[] {3, 0, 2},
                Normalization.CHANNEL, 0));
        assertEquals(3, p.tiles().size());
        assertEquals(3, p.tiles().get(0).channel());
        Tile t = p.tiles().get(0);
        // 5 wide: enlarged by ceil(256 / 5) = 52.
        assertEquals(260, t.bounds().width);
        assertEquals(208, t.bounds().height);
        int[] first = centre(t, 4, 5, 0, 0);
        int[] last = centre(t, 4, 5, 3, 4);
        assertEquals(0xff0000, p.image().getRGB(first[0], first[1]) & 0xffffff); // channel 3 at its max, 0 and 2 at their min
        assertEquals(0x00ffff, p.image().getRGB(last[0], last[1]) & 0xffffff);
        assertTrue(p.normalizationNote().contains("red = channel 3, green = channel 0, blue = channel 2"));
    }

    @Test
    void constantMapIsMidGrayAndNaNIsMagenta() {
        Tensor t = Tensor.zeros(2, 3, 3);
        java.util.Arrays.fill(t.data(), 2.5f);
        t.set(Float.NaN, 1, 1, 1);
        Picture p = FeatureMapRenderer.render(new FeatureMaps(t, List.of("a", "b"), "c"),
                Options.of(RenderMode.GRAYSCALE));
        int[] px = centre(p.tiles().get(0), 3, 3, 1, 1);
        assertEquals(128, gray(p.image(), px[0], px[1]));
        int[] nan = centre(p.tiles().get(1), 3, 3, 1, 1);
        assertEquals(FeatureMapRenderer.NAN_RGB, p.image().getRGB(nan[0], nan[1]) & 0xffffff);
        assertEquals(new FeatureMapRenderer.Range(2.5, 2.5), p.tiles().get(1).range());
        assertTrue(p.normalizationNote().contains("NaN pixels are magenta"));
    }

    @Test
    void largeMapsAreShrunkByAveragingAndManyChannelsAreCapped() {
        FeatureMaps maps = ramps(70, 300, 600);
        Picture p = FeatureMapRenderer.render(maps, Options.of(RenderMode.GRAYSCALE));
        assertEquals(FeatureMapRenderer.MAX_AUTO_CHANNELS, p.tiles().size());
        assertEquals(256, p.tiles().get(0).bounds().width);
        assertEquals(128, p.tiles().get(0).bounds().height);
        float[] half = FeatureMapRenderer.resample(new float[] {1, 3, 5, 7, 2, 4, 6, 8, 0, 0, 1, 1, 0, 0, 1, 1},
                4, 4, 2, 2);
        assertArrayEquals(new float[] {2.5f, 6.5f, 0f, 1f}, half);
    }

    @Test
    void tileSizeOptionSetsTheLongestSide() {
        Picture p = FeatureMapRenderer.render(ramps(1, 10, 20), new Options(RenderMode.HEATMAP, null,
                Normalization.CHANNEL, 60));
        assertEquals(new Rectangle(p.tiles().get(0).bounds().x, p.tiles().get(0).bounds().y, 60, 30),
                p.tiles().get(0).bounds());
    }

    @Test
    void badChannelChoicesAreRefusedWithTheSizes() {
        FeatureMaps maps = ramps(2, 3, 3);
        assertEquals("channel 5 is out of range for an output with 2 channels (0..1)",
                assertThrows(IllegalArgumentException.class, () -> FeatureMapRenderer.render(maps,
                        new Options(RenderMode.GRAYSCALE, new int[] {0, 5}, Normalization.CHANNEL, 0))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FeatureMapRenderer.render(maps,
                Options.of(RenderMode.RGB))).getMessage().startsWith("rgb mode composes three channels but the output has only 2"));
        Picture repeated = FeatureMapRenderer.render(maps, new Options(RenderMode.RGB, new int[] {1, 1, 1},
                Normalization.CHANNEL, 0));
        assertEquals(3, repeated.tiles().size());
    }

    @Test
    void verticalEdgePictureIsBrightOnlyInTheVerticalEdgeTile() {
        FeatureMaps maps = FeatureMaps.convolve(FilterBankTest.verticalEdge(12, 12), null, null,
                ConvParams.defaults(), "cpu-reference", "edge");
        Picture p = FeatureMapRenderer.render(maps, Options.of(RenderMode.GRAYSCALE));
        assertEquals(5, p.tiles().size());
        Tile sobelX = p.tiles().get(0);
        Tile sobelY = p.tiles().get(1);
        int[] onEdge = centre(sobelX, 10, 10, 5, 4);
        int[] offEdge = centre(sobelX, 10, 10, 5, 1);
        assertEquals(255, gray(p.image(), onEdge[0], onEdge[1]));
        assertEquals(0, gray(p.image(), offEdge[0], offEdge[1]));
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 10; x++) {
                int[] px = centre(sobelY, 10, 10, y, x);
                assertEquals(128, gray(p.image(), px[0], px[1]), "Sobel y is flat: the picture has no horizontal edge");
            }
        }
    }

    @Test
    void aSymmetricRangesMiddleTickIsZero() {
        // the ends of a range are floats: -0.5 - 2^-24 .. 0.5 put the midpoint at -1.19e-07 before
        float lo = Math.nextDown(-0.5f) * 4;
        float hi = 2f;
        assertArrayEquals(new String[] {"2", "0", "-2"}, FeatureMapRenderer.colorbarTicks(new FeatureMapRenderer.Range(lo, hi)));
        assertArrayEquals(new String[] {"1", "0.5", "0"}, FeatureMapRenderer.colorbarTicks(new FeatureMapRenderer.Range(0, 1)));
        assertArrayEquals(new String[] {"1.00e-06", "5.00e-07", "0"},
                FeatureMapRenderer.colorbarTicks(new FeatureMapRenderer.Range(0, 1e-6)), "a tiny range keeps its middle");
    }
}
