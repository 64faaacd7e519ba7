package dev.jconv.report;

import dev.jconv.viz.PictureOutput;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The report as a bar chart: GFLOP/s per layer (x) and backend (one bar color each, PyTorch too when its
 * times are known), drawn with XChart. The y axis is logarithmic when the bars span more than
 * {@link #LOG_SCALE_SPAN}x, which is the usual case once {@code cpu-reference} stands beside fast backends.
 */
public final class ReportChart {
    /** Above this ratio between the highest and lowest bar, the y axis is logarithmic. */
    public static final double LOG_SCALE_SPAN = 30;

    private static final Color[] PALETTE = {
        new Color(0x4c72b0), new Color(0xdd8452), new Color(0x55a868), new Color(0xc44e52),
        new Color(0x8172b3), new Color(0x937860), new Color(0xda8bc3), new Color(0x8c8c8c)};
    private static final String PYTORCH = "PyTorch (peer)";

    private ReportChart() {}

    /** The chart's data: category labels, and per series the GFLOP/s per category (null where not measured). */
    public record Data(List<String> categories, Map<String, List<Double>> series, boolean logarithmic, double lowest,
                       double highest) {}

    public static Data data(Report report) {
        Set<String> sources = new HashSet<>();
        report.layers().forEach(l -> l.rows().forEach(r -> sources.add(r.source())));
        boolean tagSource = sources.size() > 1;
        List<String> categories = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (Report.LayerRows l : report.layers()) {
            for (Report.Row r : l.rows()) {
                series.computeIfAbsent(seriesName(r, tagSource), k -> new ArrayList<>());
            }
        }
        if (report.hasPeer()) {
            series.put(PYTORCH, new ArrayList<>());
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (Report.LayerRows l : report.layers()) {
            String label = l.label();
            for (int k = 2; !seen.add(label); k++) {
                label = l.label() + " #" + k;
            }
            categories.add(label);
            series.values().forEach(v -> v.add(null));
            int last = categories.size() - 1;
            for (Report.Row r : l.rows()) {
                series.get(seriesName(r, tagSource)).set(last, r.gflops());
            }
            if (report.hasPeer() && !Double.isNaN(l.pytorchMs())) {
                series.get(PYTORCH).set(last, l.flops() / (l.pytorchMs() * 1e6));
            }
            for (List<Double> v : series.values()) {
                Double g = v.get(last);
                if (g != null && g > 0) {
                    lo = Math.min(lo, g);
                    hi = Math.max(hi, g);
                }
            }
        }
        return new Data(categories, series, hi > 0 && hi / lo > LOG_SCALE_SPAN, lo, hi);
    }

    private static String seriesName(Report.Row r, boolean tagSource) {
        return tagSource ? r.backend() + " (" + r.source() + ")" : r.backend();
    }

    /** Draws the chart; {@code title} heads it (e.g. the suite and machine). */
    public static BufferedImage draw(Report report, String title) {
        Data d = data(report);
        if (d.categories().isEmpty()) {
            throw new IllegalArgumentException("nothing to plot: the report has no measurements");
        }
        int width = Math.max(720, Math.min(2400, 160 + d.categories().size() * (28 + 14 * d.series().size())));
        CategoryChart chart = new CategoryChartBuilder().width(width).height(560).title(title)
                .xAxisTitle("layer (in\u2192out channels, kernel/stride, input size)")
                .yAxisTitle("GFLOP/s" + (d.logarithmic() ? " (log scale)" : "") + ", higher is faster").build();
        Styler.LegendPosition legend = Styler.LegendPosition.OutsideS;
        chart.getStyler().setLegendPosition(legend);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setYAxisLogarithmic(d.logarithmic());
        if (d.logarithmic()) {
            // Bars grow from the axis minimum, which XChart would otherwise put at 0: not on a log axis. Start
            // at least half a decade below the lowest bar so that it stays visible.
            chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(d.lowest()) - 0.3)));
            chart.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(d.highest()))));
        }
        chart.getStyler().setXAxisLabelRotation(d.categories().size() > 6 ? 60 : 0);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesColor(new Color(0xdddddd));
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        chart.getStyler().setChartTitleBoxVisible(false);
        chart.getStyler().setLegendBorderColor(Color.WHITE);
        chart.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        chart.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        chart.getStyler().setSeriesColors(PALETTE);
        chart.getStyler().setAvailableSpaceFill(0.8);
        chart.getStyler().setOverlapped(false);
        chart.getStyler().setYAxisDecimalPattern("#,##0.###");
        for (Map.Entry<String, List<Double>> s : d.series().entrySet()) {
            chart.addSeries(s.getKey(), d.categories(), s.getValue());
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** Draws the chart and writes it, atomically, as PNG or JPEG by the file's extension. */
    public static void write(Report report, String title, Path png) throws IOException {
        PictureOutput.write(draw(report, title), png);
    }
}
