package dev.jconv.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.Functional;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import org.junit.jupiter.api.Test;

class FilterBankTest {

    /** A gray picture, dark on the left half and white on the right: one vertical edge. */
    static Tensor verticalEdge(int h, int w) {
        Tensor t = Tensor.zeros(1, 3, h, w);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = w / 2; x < w; x++) {
                    t.set(1f, 0, c, y, x);
                }
            }
        }
        return t;
    }

    @Test
    void weightHasOneFilterPerClassicKernelSpanningEveryInputChannel() {
        assertArrayEquals(new int[] {5, 3, 3, 3}, FilterBank.weight(3).shape());
        assertArrayEquals(new int[] {5, 1, 3, 3}, FilterBank.weight(1).shape());
        assertArrayEquals(new int[] {5, 7, 3, 3}, FilterBank.weight(7).shape());
        assertEquals(5, FilterBank.titles().size());
    }

    @Test
    void verticalEdgeLightsUpSobelXAndNotSobelY() {
        int h = 8;
        int w = 10;
        FeatureMaps maps = FeatureMaps.convolve(verticalEdge(h, w), null, null, ConvParams.defaults(),
                "cpu-reference", "edge");
        assertArrayEquals(new int[] {5, h - 2, w - 2}, maps.maps().shape());
        for (int y = 0; y < h - 2; y++) {
            for (int x = 0; x < w - 2; x++) {
                // Output column x reads input columns x..x+2; the edge lies between input columns 4 and 5.
                boolean straddlesEdge = x == 3 || x == 4;
                assertEquals(straddlesEdge ? 4f : 0f, maps.maps().get(0, y, x), 1e-5, "Sobel x at " + y + "," + x);
                assertEquals(0f, maps.maps().get(1, y, x), 1e-5, "Sobel y at " + y + "," + x);
            }
        }
    }

    @Test
    void builtInFiltersEqualTheClassicKernelsOnTheLuminance() {
        Tensor rgb = Tensor.uniform(11, 0, 1, 1, 3, 9, 12);
        ConvParams params = ConvParams.defaults().withPadding(Padding.of(1)).withPaddingMode(PaddingMode.REFLECT);
        FeatureMaps maps = FeatureMaps.convolve(rgb, null, null, params, "cpu-reference", "random");
        Tensor luma = Tensor.zeros(1, 1, 9, 12);
        float[] l = luma.data();
        float[] d = rgb.data();
        int plane = 9 * 12;
        for (int i = 0; i < plane; i++) {
            l[i] = 0.299f * d[i] + 0.587f * d[plane + i] + 0.114f * d[2 * plane + i];
        }
        for (int k = 0; k < 5; k++) {
            Tensor kernel = Tensor.of(FilterBank.CLASSIC.get(k).kernel().clone(), 1, 1, 3, 3);
            Tensor expected = Functional.conv2d(luma, kernel, null, params, "cpu-reference");
            for (int i = 0; i < plane; i++) {
                assertEquals(expected.data()[i], maps.maps().data()[k * plane + i], 1e-5,
                        FilterBank.CLASSIC.get(k).name() + " at " + i);
            }
        }
    }

    @Test
    void blurKeepsAFlatPictureFlatAndEdgeFiltersSeeNothing() {
        Tensor flat = Tensor.zeros(1, 3, 6, 6);
        java.util.Arrays.fill(flat.data(), 0.6f);
        FeatureMaps maps = FeatureMaps.convolve(flat, null, null, ConvParams.defaults(), "cpu-reference", "flat");
        for (int i = 0; i < 16; i++) {
            assertEquals(0f, maps.maps().data()[i], 1e-5);               // Sobel x
            assertEquals(0f, maps.maps().data()[2 * 16 + i], 1e-5);      // Laplacian
            assertEquals(0.6f, maps.maps().data()[3 * 16 + i], 1e-5);    // box blur
            assertEquals(0.6f, maps.maps().data()[4 * 16 + i], 1e-5);    // sharpen
        }
    }

    @Test
    void builtInFiltersRefuseBiasAndGroups() {
        Tensor img = Tensor.uniform(1, 0, 1, 1, 3, 5, 5);
        IllegalArgumentException bias = assertThrows(IllegalArgumentException.class, () -> FeatureMaps.convolve(img,
                null, Tensor.zeros(5), ConvParams.defaults(), "auto", "x"));
        assertTrue(bias.getMessage().contains("--bias needs --weight"), bias.getMessage());
        IllegalArgumentException groups = assertThrows(IllegalArgumentException.class, () -> FeatureMaps.convolve(img,
                null, null, ConvParams.defaults().withGroups(3), "auto", "x"));
        assertTrue(groups.getMessage().contains("--groups 3 needs --weight"), groups.getMessage());
    }

    @Test
    void userWeightIsCheckedWithPyTorchsMessage() {
        Tensor img = Tensor.uniform(1, 0, 1, 1, 3, 5, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureMaps.convolve(img,
                Tensor.randn(2, 4, 2, 3, 3), null, ConvParams.defaults(), "auto", "x"));
        assertTrue(e.getMessage().startsWith("Given groups=1, weight of size [4, 2, 3, 3]"), e.getMessage());
    }
}
