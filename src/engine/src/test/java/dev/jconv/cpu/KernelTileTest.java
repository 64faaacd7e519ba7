package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import org.junit.jupiter.api.Test;

/**
 * The kernels run with the vector width and register tile this JVM was started with: in the default test run the
 * machine's own, and in the {@code cpu-kernels-avx2} run (pom.xml) 256-bit vectors and 4-channel tiles, so that
 * run's property, golden and layer tests really exercise the AVX2 shapes.
 */
class KernelTileTest {
    @Test
    void kernelsUseTheRequestedTileAndWidth() {
        String tile = System.getProperty(GemmKernel.TILE_PROPERTY, "8x3");
        assertEquals(tile.startsWith("4") ? 4 : 8, GemmKernel.TILE_ROWS);
        ConvParams padded = new ConvParams(1, 1, Padding.of(1), 1, 1, 1, PaddingMode.ZEROS);
        String plan = new CpuBackend(1).plan(ConvValidator.checkForward(new int[] {1, 16, 20, 20},
                new int[] {16, 16, 3, 3}, null, padded)).describe();
        assertTrue(plan.contains(GemmKernel.TILE_ROWS + " channels x 3 vectors"), plan);
        if (tile.startsWith("4") && System.getProperty("os.arch").equals("amd64")) {
            assertEquals(256, GemmKernel.F.vectorBitSize(), "the AVX2 run should have 256-bit vectors");
        }
    }
}
