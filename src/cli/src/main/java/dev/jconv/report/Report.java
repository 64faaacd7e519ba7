package dev.jconv.report;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark report: per layer, every measured backend's median time and GFLOP/s, its speed-up over the
 * {@code cpu-reference} and {@code cpu} backends (their time divided by this one's, so above 1 is faster) and,
 * when PyTorch's time for the layer is known, its speed relative to PyTorch ({@code pytorch_ms / ms}, above 1
 * is faster than PyTorch). A baseline is taken from the same source (bench or JMH) when it was measured there,
 * otherwise from the other. Missing numbers are NaN here, empty in CSV, null in JSON and "-" in the table.
 */
public record Report(List<LayerRows> layers, boolean hasPeer) {
    public static final String REFERENCE = "cpu-reference";
    public static final String CPU = "cpu";
    public static final String EXPLANATION =
            "speed-up = the baseline's median time / this median time; above 1 is faster than the baseline";

    /** One backend's numbers on one layer. */
    public record Row(String backend, String source, double medianMs, double gflops, double speedupVsReference,
                      double speedupVsCpu, double speedVsPytorch) {}

    /** One layer: its key, a short label, its flops, PyTorch's time (NaN if unknown) and the backends' rows. */
    public record LayerRows(String layer, String label, double flops, double pytorchMs, List<Row> rows) {}

    public Report {
        layers = List.copyOf(layers);
    }

    /** Groups measurements by layer, in the order layers first appear, and computes the ratios. */
    public static Report build(List<Measurement> measurements, Map<String, Double> peerMs) {
        Map<String, List<Measurement>> byLayer = new LinkedHashMap<>();
        for (Measurement m : measurements) {
            byLayer.computeIfAbsent(m.layer(), k -> new ArrayList<>()).add(m);
        }
        List<LayerRows> layers = new ArrayList<>();
        for (Map.Entry<String, List<Measurement>> e : byLayer.entrySet()) {
            List<Measurement> ms = e.getValue();
            double pytorch = peerMs.getOrDefault(e.getKey(), Double.NaN);
            List<Row> rows = new ArrayList<>();
            for (Measurement m : ms) {
                rows.add(new Row(m.backend(), m.source(), m.medianMs(), m.gflops(),
                        baseline(ms, REFERENCE, m.source()) / m.medianMs(),
                        baseline(ms, CPU, m.source()) / m.medianMs(),
                        pytorch / m.medianMs()));
            }
            layers.add(new LayerRows(e.getKey(), LayerLabels.shortLabel(e.getKey()), ms.get(0).flops(), pytorch,
                    rows));
        }
        return new Report(layers, !peerMs.isEmpty());
    }

    private static double baseline(List<Measurement> ms, String backend, String source) {
        double other = Double.NaN;
        for (Measurement m : ms) {
            if (m.backend().equals(backend)) {
                if (m.source().equals(source)) {
                    return m.medianMs();
                }
                if (Double.isNaN(other)) {
                    other = m.medianMs();
                }
            }
        }
        return other;
    }

    /** The report for people: one small table per layer. */
    public String table() {
        StringBuilder s = new StringBuilder();
        int backendWidth = "backend".length();
        for (LayerRows l : layers) {
            for (Row r : l.rows()) {
                backendWidth = Math.max(backendWidth, r.backend().length());
            }
        }
        String row = "  %-" + backendWidth + "s  %-6s  %10s  %9s  %16s  %7s" + (hasPeer ? "  %10s" : "%s") + "%n";
        int i = 0;
        for (LayerRows l : layers) {
            s.append(String.format(Locale.ROOT, "layer %d: %s  [%s]  %s GFLOP%s%n", ++i, l.label(), l.layer(),
                    num(l.flops() / 1e9, 4), Double.isNaN(l.pytorchMs()) ? ""
                            : "  PyTorch " + num(l.pytorchMs(), 4) + " ms"));
            s.append(String.format(Locale.ROOT, row, "backend", "source", "median ms", "GFLOP/s",
                    "vs " + REFERENCE, "vs " + CPU, hasPeer ? "vs PyTorch" : ""));
            for (Row r : l.rows()) {
                s.append(String.format(Locale.ROOT, row, r.backend(), r.source(), num(r.medianMs(), 4),
                        num(r.gflops(), 4), times(r.speedupVsReference()), times(r.speedupVsCpu()),
                        hasPeer ? times(r.speedVsPytorch()) : ""));
            }
        }
        s.append("(").append(EXPLANATION).append(hasPeer ? "; vs PyTorch = PyTorch's median time / this one" : "")
                .append(")").append(System.lineSeparator());
        return s.toString();
    }

    /** One line per (layer, backend); the layer is quoted because it holds commas. */
    public String csv() {
        StringBuilder s = new StringBuilder("layer,label,backend,source,flops,median_ms,gflops,"
                + "speedup_vs_cpu_reference,speedup_vs_cpu,pytorch_ms,speed_vs_pytorch\n");
        for (LayerRows l : layers) {
            for (Row r : l.rows()) {
                s.append('"').append(l.layer()).append("\",\"").append(l.label().replace("\"", "\"\"")).append("\",")
                        .append(r.backend()).append(',').append(r.source()).append(',')
                        .append(String.format(Locale.ROOT, "%.0f", l.flops())).append(',')
                        .append(csvNum(r.medianMs())).append(',').append(csvNum(r.gflops())).append(',')
                        .append(csvNum(r.speedupVsReference())).append(',').append(csvNum(r.speedupVsCpu()))
                        .append(',').append(csvNum(l.pytorchMs())).append(',').append(csvNum(r.speedVsPytorch()))
                        .append('\n');
            }
        }
        return s.toString();
    }

    /** {@code {"explanation": ..., "layers": [{"layer", "label", "flops", "pytorch_ms", "rows": [...]}]}}. */
    public String json() {
        JsonObject root = new JsonObject();
        root.addProperty("explanation", EXPLANATION);
        JsonArray ls = new JsonArray();
        root.add("layers", ls);
        for (LayerRows l : layers) {
            JsonObject ln = new JsonObject();
            ls.add(ln);
            ln.addProperty("layer", l.layer());
            ln.addProperty("label", l.label());
            ln.addProperty("flops", Math.round(l.flops()));
            putNumber(ln, "pytorch_ms", l.pytorchMs());
            JsonArray rows = new JsonArray();
            ln.add("rows", rows);
            for (Row r : l.rows()) {
                JsonObject rn = new JsonObject();
                rows.add(rn);
                rn.addProperty("backend", r.backend());
                rn.addProperty("source", r.source());
                putNumber(rn, "median_ms", r.medianMs());
                putNumber(rn, "gflops", r.gflops());
                putNumber(rn, "speedup_vs_cpu_reference", r.speedupVsReference());
                putNumber(rn, "speedup_vs_cpu", r.speedupVsCpu());
                putNumber(rn, "speed_vs_pytorch", r.speedVsPytorch());
            }
        }
        return new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create().toJson(root) + "\n";
    }

    private static void putNumber(JsonObject n, String field, double v) {
        n.add(field, Double.isNaN(v) ? JsonNull.INSTANCE : new JsonPrimitive(v));
    }

    /** Four significant digits, as a plain number. */
    static String num(double v, int digits) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(digits)).stripTrailingZeros()
                .toPlainString();
    }

    /** Three significant digits, so that small ratios (0.00634x) keep their information. */
    private static String times(double v) {
        return Double.isNaN(v) ? "-" : num(v, 3) + "x";
    }

    private static String csvNum(double v) {
        return Double.isNaN(v) ? "" : num(v, 6);
    }
}
