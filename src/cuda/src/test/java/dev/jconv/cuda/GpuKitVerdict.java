package dev.jconv.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The last thing benchmarks/gpu-kit/run.sh prints: a block of at most {@value #MAX_CHARS} characters that
 * starts with {@value #HEADER} and says, per CUDA backend, whether it was available here (the reason when
 * not) and how its GPU tests went, then per backend and batch size the geometric mean over the benchmark
 * layers of PyTorch-CUDA time / jconv time (above 1: jconv faster) and the worst layer, then one verdict line.
 *
 * <p>Usage: {@code GpuKitVerdict <logs-dir>}; reads what run.sh left there: {@code availability.txt}
 * (AvailabilityProbeMain's {@code backend: available|unavailable: reason} lines), {@code notes.txt} (run.sh's own findings, e.g. the cuDNN
 * symbol preflight or a phase that ran out of time), {@code junit/*.xml}, {@code cuda-ptx-bench.csv} and
 * {@code vendor-bench.csv}. Any of them may be missing; the block then says so.
 */
public final class GpuKitVerdict {
    public static final String HEADER = "== jconv GPU verdict ==";
    static final int MAX_CHARS = 3000;
    private static final int MAX_REASON = 240;
    private static final List<String> BACKENDS = List.of("cuda-ptx", "cudnn", "cublas");

    private GpuKitVerdict() {}

    public static void main(String[] args) throws IOException {
        System.out.print(render(Path.of(args[0])));
    }

    /** Test outcomes of one backend. */
    record Counts(int passed, int failed, int skipped) {
        Counts plus(Counts o) {
            return new Counts(passed + o.passed, failed + o.failed, skipped + o.skipped);
        }
    }

    static String render(Path logs) throws IOException {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        Map<String, String> availability = availability(logs.resolve("availability.txt"));
        Map<String, Counts> tests = testCounts(logs.resolve("junit"));
        boolean anyTestFailed = false;
        for (String backend : BACKENDS) {
            String a = availability.getOrDefault(backend, "unknown (availability was not probed)");
            b.append(backend).append(": ").append(shorten(a)).append('\n');
            Counts c = tests.get(backend);
            b.append("  tests: ").append(c == null ? "none ran" : c.passed + " passed, " + c.failed + " failed, "
                    + c.skipped + " skipped").append('\n');
            anyTestFailed |= c != null && c.failed > 0;
        }
        List<String> middle = new ArrayList<>();  // notes and speed: cut from the end if the block gets too long
        Path notes = logs.resolve("notes.txt");
        if (Files.exists(notes)) {
            for (String n : Files.readAllLines(notes, StandardCharsets.UTF_8)) {
                if (!n.isBlank()) {
                    middle.add("note: " + shorten(n));
                }
            }
        }
        Map<String, List<double[]>> ratios = new TreeMap<>();
        Map<String, List<String>> names = new TreeMap<>();
        speed(logs.resolve("cuda-ptx-bench.csv"), "batch", "ptx_ms_median", "torch_ms_median", null, ratios, names);
        speed(logs.resolve("vendor-bench.csv"), "batch", "ms_median", "torch_ms_median", "backend", ratios, names);
        if (ratios.isEmpty()) {
            middle.add("speed: no benchmark results");
        } else {
            middle.add("speed: PyTorch CUDA time / jconv time (>1: jconv faster), geometric mean over layers; worst layer");
            for (Map.Entry<String, List<double[]>> e : ratios.entrySet()) {
                List<double[]> r = e.getValue();
                double logSum = 0;
                int worst = 0;
                for (int i = 0; i < r.size(); i++) {
                    logSum += Math.log(r.get(i)[0]);
                    if (r.get(i)[0] < r.get(worst)[0]) {
                        worst = i;
                    }
                }
                middle.add(String.format(Locale.ROOT, "  %-26s %6.2fx over %2d layers; worst %s %.2fx", e.getKey(),
                        Math.exp(logSum / r.size()), r.size(), names.get(e.getKey()).get(worst), r.get(worst)[0]));
            }
        }
        String ptx = availability.getOrDefault("cuda-ptx", "");
        String verdict;
        if (!ptx.startsWith("available")) {
            verdict = "FAIL: no usable GPU here, nothing was measured (cuda-ptx: " + shorten(ptx) + ")";
        } else if (ptx.contains("EMULATED")) {
            verdict = "FAIL: the CUDA driver is jconv's EMULATED one (a CPU): not a GPU result";
        } else if (tests.isEmpty()) {
            verdict = "FAIL: no GPU test results";
        } else if (anyTestFailed) {
            verdict = "FAIL: GPU tests failed (see the junit reports in gpu-kit-logs.tar.gz)";
        } else {
            verdict = "PASS: every GPU test that ran passed";
        }
        String last = "verdict: " + verdict + "\n";
        int cut = 0;
        while (length(b, middle) + last.length() + (cut > 0 ? 40 : 0) > MAX_CHARS && !middle.isEmpty()) {
            middle.remove(middle.size() - 1);
            cut++;
        }
        middle.forEach(line -> b.append(line).append('\n'));
        if (cut > 0) {
            b.append("... ").append(cut).append(" lines cut, see summary.txt\n");
        }
        return b.append(last).toString();
    }

    private static int length(StringBuilder head, List<String> lines) {
        return head.length() + lines.stream().mapToInt(l -> l.length() + 1).sum();
    }

    /** {@code backend: reason} lines (AvailabilityProbeMain's output). */
    static Map<String, String> availability(Path file) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int colon = line.indexOf(": ");
                if (colon > 0) {
                    m.put(line.substring(0, colon).trim(), line.substring(colon + 2).trim());
                }
            }
        }
        return m;
    }

    /** Per backend (from the test class's package), outcomes in the JUnit XML reports under {@code dir}. */
    static Map<String, Counts> testCounts(Path dir) throws IOException {
        Map<String, Counts> counts = new LinkedHashMap<>();
        if (!Files.isDirectory(dir)) {
            return counts;
        }
        List<Path> reports;
        try (Stream<Path> s = Files.list(dir)) {
            reports = s.filter(p -> p.toString().endsWith(".xml")).sorted().toList();
        }
        for (Path report : reports) {
            NodeList cases;
            try {
                cases = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile())
                        .getElementsByTagName("testcase");
            } catch (Exception e) {
                throw new IOException("cannot read JUnit report " + report + ": " + e.getMessage(), e);
            }
            for (int i = 0; i < cases.getLength(); i++) {
                Element c = (Element) cases.item(i);
                String cls = c.getAttribute("classname");
                String backend = cls.startsWith("dev.jconv.cuda.cudnn.") ? "cudnn"
                        : cls.startsWith("dev.jconv.cuda.cublas.") ? "cublas" : "cuda-ptx";
                boolean failed = c.getElementsByTagName("failure").getLength() + c.getElementsByTagName("error").getLength() > 0;
                boolean skipped = c.getElementsByTagName("skipped").getLength() > 0;
                counts.merge(backend, new Counts(failed || skipped ? 0 : 1, failed ? 1 : 0, skipped && !failed ? 1 : 0),
                        Counts::plus);
            }
        }
        return counts;
    }

    /** Adds {@code torch / jconv} per layer to {@code ratios} under "backend N=batch". */
    private static void speed(Path csv, String batchColumn, String msColumn, String torchColumn, String backendColumn,
                              Map<String, List<double[]>> ratios, Map<String, List<String>> names) throws IOException {
        if (!Files.exists(csv)) {
            return;
        }
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            return;
        }
        List<String> header = List.of(lines.get(0).split(","));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            if (f.length < header.size()) {
                continue;
            }
            String torch = f[header.indexOf(torchColumn)];
            String ms = f[header.indexOf(msColumn)];
            if (torch.isBlank() || ms.isBlank()) {
                continue;
            }
            String backend = backendColumn == null ? "cuda-ptx" : f[header.indexOf(backendColumn)];
            String key = backend + " N=" + f[header.indexOf(batchColumn)];
            ratios.computeIfAbsent(key, k -> new ArrayList<>()).add(new double[] {Double.parseDouble(torch) / Double.parseDouble(ms)});
            names.computeIfAbsent(key, k -> new ArrayList<>()).add(f[header.indexOf("name")]);
        }
    }

    private static String shorten(String s) {
        String one = s.replaceAll("\\s+", " ").trim();
        return one.length() <= MAX_REASON ? one : one.substring(0, MAX_REASON - 3) + "...";
    }
}
