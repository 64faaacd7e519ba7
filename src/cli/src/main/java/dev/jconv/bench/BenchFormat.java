package dev.jconv.bench;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * How {@code jconv bench} prints a {@link BenchRun}: an aligned table for people, CSV (header
 * {@code layer,backend,threads,median_ms,min_ms,max_ms,gflops}, the layer quoted because it contains commas)
 * for scripts, JSON (run metadata plus one object per result) for reports and plots.
 */
public enum BenchFormat {
    TABLE, CSV, JSON;

    /** Parses {@code table}, {@code csv} or {@code json}. */
    public static BenchFormat parse(String name) {
        for (BenchFormat f : values()) {
            if (f.name().equalsIgnoreCase(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format '" + name + "', expected one of table, csv, json");
    }

    public void write(BenchRun run, PrintWriter out) {
        switch (this) {
            case TABLE -> table(run, out);
            case CSV -> csv(run, out);
            case JSON -> json(run, out);
            default -> throw new AssertionError(this);
        }
        out.flush();
    }

    private static void table(BenchRun run, PrintWriter out) {
        List<BenchResult> rs = run.results();
        int layerWidth = "layer".length();
        int backendWidth = "backend".length();
        for (BenchResult r : rs) {
            layerWidth = Math.max(layerWidth, r.layer().length());
            backendWidth = Math.max(backendWidth, r.backend().length());
        }
        String row = "%-" + layerWidth + "s  %-" + backendWidth + "s  %7s  %10s  %10s  %10s  %8s  %s%n";
        out.printf(Locale.ROOT, row, "layer", "backend", "threads", "median_ms", "min_ms", "max_ms", "GFLOP/s",
                "algorithm");
        for (BenchResult r : rs) {
            out.printf(Locale.ROOT, row, r.layer(), r.backend(), r.threads() == 0 ? "-" : r.threads(),
                    ms(r.medianMs()), ms(r.minMs()), ms(r.maxMs()), String.format(Locale.ROOT, "%.1f", r.gflops()),
                    r.algorithm());
        }
        out.printf(Locale.ROOT, "(%d warm-up + %d timed runs per row; %s; %s; %d processors)%n", run.warmup(),
                run.iterations(), run.java(), run.cpu(), run.availableProcessors());
    }

    private static void csv(BenchRun run, PrintWriter out) {
        csvHeader(out);
        csvRows(run, out);
    }

    /** The header line of the {@code csv} format. */
    public static void csvHeader(PrintWriter out) {
        out.println("layer,backend,threads,median_ms,min_ms,max_ms,gflops");
    }

    /** The {@code csv} format's rows, one per result, without the header. */
    public static void csvRows(BenchRun run, PrintWriter out) {
        for (BenchResult r : run.results()) {
            out.println(String.join(",", csvField(r.layer()), csvField(r.backend()), Integer.toString(r.threads()),
                    number(r.medianMs()), number(r.minMs()), number(r.maxMs()), number(r.gflops())));
        }
    }

    private static void json(BenchRun run, PrintWriter out) {
        out.println("{");
        out.println("  \"date\": " + jsonString(run.date()) + ",");
        out.println("  \"java\": " + jsonString(run.java()) + ",");
        out.println("  \"os\": " + jsonString(run.os()) + ",");
        out.println("  \"cpu\": " + jsonString(run.cpu()) + ",");
        out.println("  \"availableProcessors\": " + run.availableProcessors() + ",");
        out.println("  \"warmup\": " + run.warmup() + ",");
        out.println("  \"iterations\": " + run.iterations() + ",");
        out.println("  \"results\": [");
        List<BenchResult> rs = run.results();
        for (int i = 0; i < rs.size(); i++) {
            BenchResult r = rs.get(i);
            out.println("    {\"layer\": " + jsonString(r.layer())
                    + ", \"backend\": " + jsonString(r.backend())
                    + ", \"threads\": " + r.threads()
                    + ", \"flops\": " + String.format(Locale.ROOT, "%.0f", r.flops())
                    + ", \"warmup\": " + r.warmup()
                    + ", \"iterations\": " + r.iterations()
                    + ", \"median_ms\": " + number(r.medianMs())
                    + ", \"min_ms\": " + number(r.minMs())
                    + ", \"max_ms\": " + number(r.maxMs())
                    + ", \"gflops\": " + number(r.gflops())
                    + ", \"algorithm\": " + jsonString(r.algorithm()) + "}" + (i + 1 < rs.size() ? "," : ""));
        }
        out.println("  ]");
        out.println("}");
    }

    /**
     * Six significant digits, never in exponent form: fixed decimals would print a tiny layer's time or a
     * loaded machine's GFLOP/s as 0.000, which reads as "nothing was measured".
     */
    static String number(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    private static String ms(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    /** RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. */
    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
