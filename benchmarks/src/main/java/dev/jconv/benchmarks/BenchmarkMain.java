package dev.jconv.benchmarks;

import dev.jconv.bench.Suites;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * {@code java -jar benchmarks.jar [--suites a,b] [JMH options]}: JMH's own runner with three defaults that suit
 * jconv. The {@code layer} parameter is filled with the layers of the chosen suites (all by default) unless
 * {@code -p layer=...} is given; results go to {@code jmh-result.json} as JSON unless {@code -rf}/{@code -rff}
 * say otherwise; and only {@code HostConvBenchmark} runs unless a benchmark pattern is given, so the GPU
 * benchmarks run only when asked for. Every other option is JMH's ({@code -h} lists them).
 */
public final class BenchmarkMain {
    private BenchmarkMain() {}

    public static void main(String[] args) throws Exception {
        List<String> suites = Suites.names();
        List<String> jmhArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--suites") && i + 1 < args.length) {
                suites = Arrays.asList(args[++i].split(","));
            } else if (args[i].startsWith("--suites=")) {
                suites = Arrays.asList(args[i].substring("--suites=".length()).split(","));
            } else if (args[i].equals("--list-layers")) {
                BenchLayers.of(suites).forEach(System.out::println);
                return;
            } else {
                jmhArgs.add(args[i]);
            }
        }
        CommandLineOptions cmd = new CommandLineOptions(jmhArgs.toArray(String[]::new));
        if (cmd.shouldHelp()) {
            System.out.println("Usage: java -jar benchmarks.jar [--suites " + String.join(",", Suites.names())
                    + "] [--list-layers] [JMH options]");
            System.out.println("Defaults: -p layer=<the suites' layers> -rf json -rff jmh-result.json, "
                    + "benchmark HostConvBenchmark. Parameters: layer, backend (cpu), batch (suite = the layer's N), "
                    + "dtype (fp32 only).");
            System.out.println();
        }
        if (cmd.shouldHelp() || cmd.shouldList() || cmd.shouldListWithParams() || cmd.shouldListProfilers()
                || cmd.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(jmhArgs.toArray(String[]::new));
            return;
        }
        ChainedOptionsBuilder options = new OptionsBuilder().parent(cmd);
        if (!cmd.getParameter("layer").hasValue()) {
            options.param("layer", BenchLayers.of(suites).toArray(String[]::new));
        }
        if (!cmd.getResultFormat().hasValue()) {
            options.resultFormat(ResultFormatType.JSON);
        }
        if (!cmd.getResult().hasValue()) {
            options.result("jmh-result.json");
        }
        if (cmd.getIncludes().isEmpty()) {
            options.include(HostConvBenchmark.class.getSimpleName());
        }
        new Runner(options.build()).run();
    }
}
