package dev.jconv.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ViridisTest {

    @Test
    void endsAndMiddleAreMatplotlibsColors() {
        // matplotlib: viridis(0) = #440154, viridis(0.5) = #21918c, viridis(1.0) = #fde725
        assertEquals(0x440154, Viridis.rgb(0.0));
        assertEquals(0x21918c, Viridis.rgb(0.5));
        assertEquals(0xfde725, Viridis.rgb(1.0));
    }

    @Test
    void outOfRangeAndNaNAreClampedToTheEnds() {
        assertEquals(Viridis.rgb(0), Viridis.rgb(-3));
        assertEquals(Viridis.rgb(1), Viridis.rgb(7));
        assertEquals(Viridis.rgb(0), Viridis.rgb(Double.NaN));
    }

    @Test
    void lightnessRisesAlongTheWholeTable() {
        // Rounded to bytes, neighbours can tie, so compare entries four apart.
        for (int i = 4; i < Viridis.SIZE; i++) {
            assertTrue(luminance(Viridis.entry(i)) > luminance(Viridis.entry(i - 4)),
                    "entry " + i + " is not lighter than entry " + (i - 4));
        }
    }

    private static double luminance(int rgb) {
        return 0.2126 * (rgb >> 16 & 0xff) + 0.7152 * (rgb >> 8 & 0xff) + 0.0722 * (rgb & 0xff);
    }
}
