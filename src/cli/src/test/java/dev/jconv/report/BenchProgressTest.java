package dev.jconv.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BenchProgressTest {

    @Test
    void drawsLayerBackendAndCountWhenEnabled() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (BenchProgress p = BenchProgress.start(2, new PrintStream(bytes, true, StandardCharsets.UTF_8), true)) {
            assertTrue(p.visible());
            p.next("[1/2] 1,64,56,56,64,3,1,1,1,1 on cpu");
            p.next("[2/2] 1,64,56,56,64,3,1,1,1,1 on cpu-reference");
        }
        String drawn = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(drawn.contains("bench"), drawn);
        assertTrue(drawn.contains("2/2"), drawn);
        assertTrue(drawn.contains("on cpu-reference"), drawn);
    }

    @Test
    void silentWhenDisabledOrWithoutATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (BenchProgress p = BenchProgress.start(3, new PrintStream(bytes), false)) {
            assertFalse(p.visible());
            p.next("[1/3] a on cpu");
        }
        assertEquals(0, bytes.size());
        // Tests run without a console, as scripts and CI do: the default bar must stay silent there.
        try (BenchProgress p = BenchProgress.start(3, false)) {
            assertEquals(System.console() != null, p.visible());
        }
    }
}
