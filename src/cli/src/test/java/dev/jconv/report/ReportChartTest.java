package dev.jconv.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportChartTest {
    @TempDir
    Path dir;

    private static final String A = "1,64,56,56,64,3,1,1,1,1";
    private static final String B = "1,64,56,56,64,3,1,2,2,1";

    @Test
    void oneSeriesPerBackendPlusPyTorchWithGflopsPerLayer() {
        Report r = Report.build(List.of(
                new Measurement(A, "cpu-reference", "bench", 2e8, 200),
                new Measurement(A, "cpu", "bench", 2e8, 4),
                new Measurement(B, "cpu", "bench", 2e8, 5)), Map.of(A, 2.0));
        ReportChart.Data d = ReportChart.data(r);
        assertEquals(List.of("64\u219264 3x3 56\u00b2", "64\u219264 3x3 d2 56\u00b2"), d.categories());
        assertEquals(List.of("cpu-reference", "cpu", "PyTorch (peer)"), List.copyOf(d.series().keySet()));
        assertEquals(Arrays.asList(1.0, null), d.series().get("cpu-reference"));
        assertEquals(Arrays.asList(50.0, 40.0), d.series().get("cpu"));
        assertEquals(Arrays.asList(100.0, null), d.series().get("PyTorch (peer)"));
        assertTrue(d.logarithmic(), "1 to 100 GFLOP/s spans more than 30x");
    }

    @Test
    void linearAxisWhenBarsAreCloseAndSourcesTaggedWhenMixed() {
        Report r = Report.build(List.of(
                new Measurement(A, "cpu", "bench", 2e8, 4),
                new Measurement(A, "cpu", "jmh", 2e8, 5)), Map.of());
        ReportChart.Data d = ReportChart.data(r);
        assertFalse(d.logarithmic());
        assertEquals(List.of("cpu (bench)", "cpu (jmh)"), List.copyOf(d.series().keySet()));
        assertNull(d.series().get("PyTorch (peer)"));
    }

    @Test
    void writesAPngOfTheChart() throws IOException {
        Report r = Report.build(List.of(
                new Measurement(A, "cpu-reference", "bench", 2e8, 200),
                new Measurement(A, "cpu", "bench", 2e8, 4)), Map.of());
        Path png = dir.resolve("chart.png");
        ReportChart.write(r, "test", png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(720, img.getWidth());
        assertEquals(560, img.getHeight());
    }
}
