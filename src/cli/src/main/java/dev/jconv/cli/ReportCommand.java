package dev.jconv.cli;

import dev.jconv.io.AtomicWrite;
import dev.jconv.report.Measurement;
import dev.jconv.report.Measurements;
import dev.jconv.report.Report;
import dev.jconv.report.ReportChart;
import dev.jconv.report.ResultFiles;
import dev.jconv.viz.PictureOutput;
import java.io.IOException;
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
 * {@code jconv report}: one report from saved benchmark results, {@code jconv bench --format json} files and
 * the JMH harness's JSON alike. Prints a table per layer (time, GFLOP/s, speed-up over {@code cpu-reference}
 * and {@code cpu}, speed relative to PyTorch when its times are given) and writes the chart, CSV and JSON
 * asked for. Every input is read and every output directory checked before anything is written; each file
 * is written atomically.
 */
@Command(name = "report", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {"Turns benchmark results into one report: per layer the median time, GFLOP/s, speed-up over "
                + "cpu-reference and over cpu (their time / this time), and the speed relative to PyTorch "
                + "(PyTorch's time / this time) when --peer is given; as a table on stdout, a PNG bar chart, CSV "
                + "and JSON."},
        footer = {"", "Examples:",
                "  jconv bench --suite target --backend cpu,cpu-reference --format json > bench.json",
                "  benchmarks/run-jmh.sh --suites target -rff jmh.json",
                "  jconv report --bench bench.json --jmh jmh.json --plot chart.png --csv report.csv"})
final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--bench", paramLabel = "BENCH.json", description = "results of 'jconv bench --format json' (repeatable)")
    List<Path> bench = new ArrayList<>();

    @Option(names = "--jmh", paramLabel = "JMH.json", description = "results of the JMH harness, -rf json (repeatable)")
    List<Path> jmh = new ArrayList<>();

    @Option(names = "--peer", paramLabel = "PYTORCH.csv",
            description = "PyTorch's median times per layer (benchmarks/pytorch_side_by_side.py --csv)")
    Path peer;

    @Option(names = "--plot", paramLabel = "CHART.png", description = "write the GFLOP/s bar chart here")
    Path plot;

    @Option(names = "--csv", paramLabel = "REPORT.csv", description = "write the report as CSV here")
    Path csv;

    @Option(names = "--json", paramLabel = "REPORT.json", description = "write the report as JSON here")
    Path json;

    @Option(names = "--title", paramLabel = "TEXT", defaultValue = "jconv: GFLOP/s per layer and backend",
            description = "the chart's title (default: ${DEFAULT-VALUE})")
    String title;

    @Override
    public Integer call() throws IOException {
        if (bench.isEmpty() && jmh.isEmpty()) {
            throw new IllegalArgumentException("nothing to report: give at least one --bench or --jmh file");
        }
        if (plot != null) {
            PictureOutput.checkFormat("--plot", plot);
        }
        for (Object[] out : new Object[][] {{"--plot", plot}, {"--csv", csv}, {"--json", json}}) {
            if (out[1] != null) {
                AtomicWrite.checkWritable((String) out[0], (Path) out[1]);
            }
        }
        List<Measurement> measurements = new ArrayList<>();
        for (Path f : bench) {
            measurements.addAll(ResultFiles.readBench(f));
        }
        for (Path f : jmh) {
            measurements.addAll(ResultFiles.readJmh(f, Measurements::flopsOf));
        }
        if (measurements.isEmpty()) {
            throw new IllegalArgumentException("nothing to report: the result files hold no measurements");
        }
        Map<String, Double> peerMs = peer == null ? Map.of() : ResultFiles.readPeer(peer);
        Report report = Report.build(measurements, peerMs);
        if (plot != null) {
            ReportChart.write(report, title, plot);
        }
        if (csv != null) {
            AtomicWrite.writeString(csv, report.csv());
        }
        if (json != null) {
            AtomicWrite.writeString(json, report.json());
        }
        spec.commandLine().getOut().print(report.table());
        return 0;
    }
}
