package dev.jconv.cli;

import dev.jconv.bench.BenchFormat;
import dev.jconv.bench.BenchRun;
import dev.jconv.bench.BenchRunner;
import dev.jconv.bench.LayerSpec;
import dev.jconv.bench.Suites;
import dev.jconv.cpu.CpuBackend;
import dev.jconv.io.AtomicWrite;
import dev.jconv.report.BenchProgress;
import dev.jconv.report.Measurements;
import dev.jconv.report.Report;
import dev.jconv.report.ReportChart;
import dev.jconv.report.ResultFiles;
import dev.jconv.viz.PictureOutput;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jconv bench}: times forward passes of layers on backends and prints median/min/max milliseconds and
 * GFLOP/s. Results go to stdout in the chosen format and nothing else does; progress goes to stderr (a bar on
 * a terminal, one line per (layer, backend) pair otherwise, nothing with {@code --quiet}); {@code --plot} also
 * draws the results as a chart. Bad input throws {@link IllegalArgumentException} (the CLI prints one
 * {@code error:} line, exit status 2) before anything is measured.
 */
@Command(name = "bench", sortOptions = false,
        description = {"Times conv2d forward passes: warm-up runs, then timed runs; reports median, min and max "
                + "milliseconds and GFLOP/s = 2*N*K*Hout*Wout*(C/G)*R*R / median time.",
                "Inputs and weights are uniform random in [-1, 1), no bias."},
        footer = {"", "Examples:",
                "  jconv bench --layer 1,64,56,56,64,3,1,1,1,1 --backend cpu,cpu-reference --iterations 5",
                "  jconv bench --suite resnet50 --threads 2 --format csv"})
public final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** Where {@code --serve} reads its layers (tests replace it). */
    InputStream stdin = System.in;

    @Option(names = "--layer", paramLabel = "N,C,H,W,K,R,S,P,D,G",
            description = "A layer: batch, in channels, height, width, out channels, square kernel, stride, "
                    + "padding, dilation, groups. Repeatable.")
    List<String> layers = new ArrayList<>();

    @Option(names = "--suite", paramLabel = "NAME",
            description = "A named list of layers: ${COMPLETION-CANDIDATES}. Repeatable; runs after the --layer ones.",
            completionCandidates = SuiteNames.class)
    List<String> suites = new ArrayList<>();

    @Option(names = "--backend", split = ",", paramLabel = "NAME[,NAME...]", defaultValue = "cpu",
            description = "Backends to time, comma-separated (default: ${DEFAULT-VALUE}); 'auto' is allowed.")
    List<String> backends;

    @Option(names = "--threads", paramLabel = "T",
            description = "Threads for the cpu backend (default: JCONV_THREADS, else all processors).")
    Integer threads;

    @Option(names = "--warmup", paramLabel = "RUNS", defaultValue = "5",
            description = "Untimed runs per layer and backend, at least; warm-up goes on (at least 1 s, 3 s for a "
                    + "backend's first layer, at most 20 s) until the JIT has settled. 0 skips warm-up "
                    + "(default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iterations", paramLabel = "RUNS", defaultValue = "20",
            description = "Timed runs per layer and backend (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
            description = "table, csv or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--plot", paramLabel = "CHART.png",
            description = "Also draw GFLOP/s per layer and backend as a bar chart (PNG, log scale when the bars span "
                    + "more than 30x; written atomically). 'jconv report' makes the same chart from saved results.")
    Path plot;

    @Option(names = "--peer", paramLabel = "PYTORCH.csv",
            description = "PyTorch's median times per layer for the chart (benchmarks/pytorch_side_by_side.py --csv).")
    Path peer;

    @Option(names = "--serve",
            description = "Reads layers N,C,H,W,K,R,S,P,D,G from standard input, one per line, and times each as it "
                    + "arrives, printing its csv rows (the header first) at once; the process, its plans and the "
                    + "JIT stay warm between layers, so a caller can interleave its own timings with jconv's layer "
                    + "by layer (benchmarks/pytorch_side_by_side.py does). Ends at the end of the input.")
    boolean serve;

    @Option(names = "--list",
            description = "Prints the layers --layer and --suite name, one per line, and exits without timing.")
    boolean list;

    @Option(names = {"-q", "--quiet"},
            description = "No progress on stderr. Otherwise a progress bar when stderr is a terminal, one line per "
                    + "pair when it is not.")
    boolean quiet;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Override
    public Integer call() throws IOException {
        BenchFormat chosen = BenchFormat.parse(format);
        if (plot != null) {
            PictureOutput.checkFormat("--plot", plot);
            AtomicWrite.checkWritable("--plot", plot);
        }
        Map<String, Double> peerMs = peer == null ? Map.of() : ResultFiles.readPeer(peer);
        List<LayerSpec> all = new ArrayList<>();
        for (String layer : layers) {
            all.add(LayerSpec.parse(layer));
        }
        for (String suite : suites) {
            all.addAll(Suites.layers(suite));
        }
        if (list) {
            all.forEach(layer -> spec.commandLine().getOut().println(layer.text()));
            return 0;
        }
        int t = threads != null ? threads : CpuBackend.defaultThreads();
        PrintWriter err = spec.commandLine().getErr();
        List<String> names = backends.stream().map(String::trim).toList();
        if (serve) {
            return serve(new BenchRunner(warmup, iterations, t, line -> { }), names, spec.commandLine().getOut());
        }
        BenchRun run;
        try (BenchProgress bar = BenchProgress.start(all.size() * names.size(), quiet)) {
            BenchRunner runner = new BenchRunner(warmup, iterations, t, line -> {
                if (bar.visible()) {
                    bar.next(line.startsWith("bench ") ? line.substring("bench ".length()) : line);
                } else if (!quiet) {
                    err.println(line);
                    err.flush();
                }
            });
            run = runner.run(all, names);
        }
        chosen.write(run, spec.commandLine().getOut());
        if (plot != null) {
            Report report = Report.build(Measurements.of(run), peerMs);
            ReportChart.write(report, "jconv bench: GFLOP/s per layer (" + run.cpu() + ", " + t
                    + (t == 1 ? " thread)" : " threads)"), plot);
        }
        return 0;
    }

    /**
     * {@code --serve}: each line of standard input a layer, timed as it arrives, its csv rows printed and flushed at
     * once. Blank lines are skipped; a line that is no layer is an error (exit status 2) after the rows before it.
     */
    private int serve(BenchRunner runner, List<String> names, PrintWriter out) throws IOException {
        boolean otherFormat = spec.commandLine().getParseResult().hasMatchedOption("--format") && !format.equals("csv");
        if (!layers.isEmpty() || !suites.isEmpty() || plot != null || otherFormat) {
            throw new IllegalArgumentException("--serve takes its layers from standard input and prints csv:"
                    + " give no --layer, --suite, --plot or --format other than csv");
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        BenchFormat.csvHeader(out);
        out.flush();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.isBlank()) {
                BenchFormat.csvRows(runner.run(List.of(LayerSpec.parse(line.trim())), names), out);
                out.flush();
            }
        }
        return 0;
    }

    /** The suite names, for {@code --help}. */
    static final class SuiteNames extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        SuiteNames() {
            super(Suites.names());
        }
    }
}
