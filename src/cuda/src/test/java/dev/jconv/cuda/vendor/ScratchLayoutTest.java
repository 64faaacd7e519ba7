package dev.jconv.cuda.vendor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScratchLayoutTest {

    @Test
    void operandsAreAlignedAndDoNotOverlap() {
        ScratchLayout at = ScratchLayout.of(3, 5, 7, 11, 100);
        assertEquals(0, at.input());
        assertEquals(256, at.weight());
        assertEquals(512, at.bias());
        assertEquals(768, at.output());
        assertEquals(768 + 44, at.stagedBytes(), "staging holds input to output, not the temporary region");
        assertEquals(1024, at.temp());
        assertEquals(1124, at.totalBytes());
        for (long offset : new long[] {at.weight(), at.bias(), at.output(), at.temp()}) {
            assertEquals(0, offset % ScratchLayout.ALIGN);
        }
    }

    @Test
    void noBiasAndNoTempTakeNoSpace() {
        ScratchLayout at = ScratchLayout.of(64, 64, 0, 64, 0);
        assertEquals(at.bias(), at.output());
        assertEquals(at.temp(), at.totalBytes());
        assertEquals(512 + 256, at.totalBytes());
    }

    @Test
    void breakdownNamesEverySize() {
        ScratchLayout at = ScratchLayout.of(1 << 20, 1 << 10, 0, 1 << 20, 8L << 20);
        String text = at.breakdown(1 << 20, 1 << 10, 0, 1 << 20, "padded input");
        assertEquals("input 4.0 MiB, weight 4.0 KiB, output 4.0 MiB, padded input 8.0 MiB", text);
        assertTrue(at.totalBytes() > 16L << 20);
    }
}
