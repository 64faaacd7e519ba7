package dev.jconv.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Reads the measurements a report is made of: {@code jconv bench --format json} output, JMH's {@code -rf json}
 * output of the {@code benchmarks/} harness, and the PyTorch peer times of the side-by-side script (CSV).
 * Every problem is an {@link IOException} naming the file and what is wrong with it.
 */
public final class ResultFiles {
    private ResultFiles() {}

    /** The results of {@code jconv bench --format json}: an object with a {@code results} array. */
    public static List<Measurement> readBench(Path file) throws IOException {
        JsonElement root = parse(file);
        JsonElement results = root.isJsonObject() ? root.getAsJsonObject().get("results") : null;
        if (results == null || !results.isJsonArray()) {
            throw new IOException(file + ": not the JSON of 'jconv bench --format json' (no \"results\" array)");
        }
        List<Measurement> out = new ArrayList<>();
        for (JsonObject r : objects(file, results.getAsJsonArray())) {
            out.add(new Measurement(layerKey(text(file, r, "layer")), text(file, r, "backend"), "bench",
                    number(file, r, "flops"), number(file, r, "median_ms")));
        }
        return out;
    }

    /**
     * The results of the JMH harness ({@code -rf json}): an array with one entry per benchmark and parameter
     * set. The time is the median of all measured iterations (JMH's own score is their mean), converted to
     * milliseconds. Parameters {@code layer} and {@code backend} are required; {@code batch}, when it is a
     * number, replaces the layer's N. A benchmark method other than {@code forward} is a kind of time and is
     * appended to the backend ({@code cudnn device}).
     *
     * @param flopsOfLayer the flops of a layer given as {@code N,C,H,W,K,R,S,P,D,G}
     */
    public static List<Measurement> readJmh(Path file, ToDoubleFunction<String> flopsOfLayer) throws IOException {
        JsonElement root = parse(file);
        if (!root.isJsonArray()) {
            throw new IOException(file + ": not a JMH JSON result (expected an array; run the harness with -rf json)");
        }
        List<Measurement> out = new ArrayList<>();
        for (JsonObject b : objects(file, root.getAsJsonArray())) {
            String benchmark = text(file, b, "benchmark");
            String mode = optionalText(b, "mode");
            if (!mode.equals("avgt") && !mode.equals("sample") && !mode.equals("ss")) {
                throw new IOException(file + ": benchmark " + benchmark + " has mode '" + mode
                        + "', expected a time per operation (avgt, sample or ss)");
            }
            JsonObject params = object(file, b, "params");
            String layer = layerKey(text(file, params, "layer"));
            String batch = optionalText(params, "batch");
            if (batch.matches("\\d+")) {
                layer = withBatch(layer, Integer.parseInt(batch));
            }
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            String backend = text(file, params, "backend") + (method.equals("forward") ? "" : " " + method);
            JsonObject metric = object(file, b, "primaryMetric");
            double toMs = msPer(file, optionalText(metric, "scoreUnit"));
            double median = median(metric.get("rawData"));
            if (Double.isNaN(median)) {
                median = number(file, metric, "score");
            }
            double flops;
            try {
                flops = flopsOfLayer.applyAsDouble(layer);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
            out.add(new Measurement(layer, backend, "jmh", flops, median * toMs));
        }
        return out;
    }

    /**
     * PyTorch's median time per layer from a CSV with a header: a {@code layer} column
     * ({@code N,C,H,W,K,R,S,P,D,G}, quoted) and a time column in milliseconds, the first present of
     * {@code pytorch_median_ms}, {@code pytorch_ms}, {@code torch_ms}, {@code median_ms}.
     */
    public static Map<String, Double> readPeer(Path file) throws IOException {
        Map<String, Double> peer = new LinkedHashMap<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = r.readLine();
            if (header == null) {
                throw new IOException(file + ": empty, expected a CSV header with 'layer' and a time column");
            }
            List<String> names = Arrays.asList(splitCsv(header).stream().map(s -> s.trim().toLowerCase(Locale.ROOT))
                    .toArray(String[]::new));
            int layerCol = names.indexOf("layer");
            int timeCol = -1;
            for (String candidate : new String[] {"pytorch_median_ms", "pytorch_ms", "torch_ms", "median_ms"}) {
                if (timeCol < 0) {
                    timeCol = names.indexOf(candidate);
                }
            }
            if (layerCol < 0 || timeCol < 0) {
                throw new IOException(file + ": header " + names + " needs a 'layer' column and a time column "
                        + "(pytorch_median_ms, pytorch_ms, torch_ms or median_ms)");
            }
            int lineNo = 1;
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                List<String> f = splitCsv(line);
                if (f.size() <= Math.max(layerCol, timeCol)) {
                    throw new IOException(file + ": line " + lineNo + " has " + f.size() + " fields, expected "
                            + names.size());
                }
                try {
                    double ms = Double.parseDouble(f.get(timeCol).trim());
                    if (!(ms > 0) || Double.isInfinite(ms)) {
                        throw new NumberFormatException();
                    }
                    peer.put(layerKey(f.get(layerCol)), ms);
                } catch (NumberFormatException e) {
                    throw new IOException(file + ": line " + lineNo + ": time '" + f.get(timeCol)
                            + "' is not a positive number of milliseconds");
                }
            }
        }
        return peer;
    }

    /** A layer as the report keys it: {@code N,C,H,W,K,R,S,P,D,G} without spaces. */
    public static String layerKey(String layer) {
        return layer.replaceAll("\\s+", "");
    }

    /** The layer {@code N,C,H,W,...} with its N replaced. */
    static String withBatch(String layer, int batch) {
        int comma = layer.indexOf(',');
        return comma < 0 ? layer : batch + layer.substring(comma);
    }

    /** Splits one CSV line (RFC 4180 quoting, no line breaks inside fields). */
    static List<String> splitCsv(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    f.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(f.toString());
                f.setLength(0);
            } else {
                f.append(c);
            }
        }
        fields.add(f.toString());
        return fields;
    }

    private static JsonElement parse(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(r);
        } catch (JsonParseException e) {
            throw new IOException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    private static List<JsonObject> objects(Path file, JsonArray array) throws IOException {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : array) {
            if (!e.isJsonObject()) {
                throw new IOException(file + ": expected an object for each result, got " + abbreviate(e));
            }
            out.add(e.getAsJsonObject());
        }
        return out;
    }

    private static JsonObject object(Path file, JsonObject node, String field) throws IOException {
        JsonElement v = node.get(field);
        if (v == null || !v.isJsonObject()) {
            throw new IOException(file + ": an entry has no object field \"" + field + "\": " + abbreviate(node));
        }
        return v.getAsJsonObject();
    }

    private static String text(Path file, JsonObject node, String field) throws IOException {
        JsonElement v = node.get(field);
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
            throw new IOException(file + ": an entry has no text field \"" + field + "\": " + abbreviate(node));
        }
        return v.getAsString();
    }

    private static String optionalText(JsonObject node, String field) {
        JsonElement v = node.get(field);
        return v != null && v.isJsonPrimitive() ? v.getAsString() : "";
    }

    private static double number(Path file, JsonObject node, String field) throws IOException {
        JsonElement v = node.get(field);
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw new IOException(file + ": an entry has no number field \"" + field + "\": " + abbreviate(node));
        }
        return v.getAsDouble();
    }

    private static double median(JsonElement rawData) {
        List<Double> all = new ArrayList<>();
        if (rawData != null && rawData.isJsonArray()) {
            for (JsonElement fork : rawData.getAsJsonArray()) {
                if (fork.isJsonArray()) {
                    for (JsonElement v : fork.getAsJsonArray()) {
                        if (v instanceof JsonPrimitive p && p.isNumber()) {
                            all.add(p.getAsDouble());
                        }
                    }
                }
            }
        }
        if (all.isEmpty()) {
            return Double.NaN;
        }
        all.sort(null);
        int n = all.size();
        return n % 2 == 1 ? all.get(n / 2) : (all.get(n / 2 - 1) + all.get(n / 2)) / 2;
    }

    private static double msPer(Path file, String unit) throws IOException {
        return switch (unit) {
            case "s/op" -> 1e3;
            case "ms/op" -> 1;
            case "us/op" -> 1e-3;
            case "ns/op" -> 1e-6;
            default -> throw new IOException(file + ": score unit '" + unit + "' is not a time per operation");
        };
    }

    private static String abbreviate(JsonElement node) {
        String s = node.toString();
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}
