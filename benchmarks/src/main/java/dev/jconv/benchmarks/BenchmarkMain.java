package dev.jconv.benchmarks;

import dev.jconv.bench.Suites;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * {@code java -jar benchmarks.jar [--suites a,b | --layer SPEC ...] [JMH options]}: JMH's own runner with three
 * defaults that suit jconv. The {@code layer} parameter is filled here, with the {@code --layer} values or else
 * the layers of the chosen suites (all by default): JMH's {@code -p layer=...} cannot carry them because it
 * splits values at commas, and a layer is {@code N,C,H,W,K,R,S,P,D,G}. Results go to {@code jmh-result.json}
 * as JSON unless {@code -rf}/{@code -rff} say otherwise; and only {@code HostConvBenchmark} runs unless a
 * benchmark pattern is given, so the GPU benchmarks run only when asked for. {@code --threads T} sets the
 * {@code cpu} backend's thread count in the forked JVMs ({@code -Djconv.threads=T}); a {@code -jvmArgsAppend}
 * adds to the benchmarks' JVM flags instead of dropping them. Every other option is JMH's ({@code -h}).
 */
public final class BenchmarkMain {
    /** The forked JVMs' flags, as in the benchmarks' {@code @Fork}: the cpu backend needs the Vector API. */
    static final String VECTOR_MODULE = "--add-modules=jdk.incubator.vector";
    static final String HEAP = "-Xmx3g";

    private BenchmarkMain() {}

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (IllegalArgumentException | CommandLineOptionException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    private static void run(String[] args) throws Exception {
        List<String> suites = Suites.names();
        List<String> layers = new ArrayList<>();
        String threads = null;
        List<String> jmhArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--threads") && i + 1 < args.length) {
                threads = args[++i];
                if (!threads.matches("[1-9]\\d*")) {
                    throw new IllegalArgumentException("--threads must be a positive integer, got '" + threads + "'");
                }
            } else if (args[i].equals("--layer") && i + 1 < args.length) {
                layers.add(args[++i].replace(" ", ""));
            } else if (args[i].equals("--suites") && i + 1 < args.length) {
                suites = Arrays.asList(args[++i].split(","));
            } else if (args[i].startsWith("--suites=")) {
                suites = Arrays.asList(args[i].substring("--suites=".length()).split(","));
            } else if (args[i].equals("--list-layers")) {
                (layers.isEmpty() ? BenchLayers.of(suites) : layers).forEach(System.out::println);
                return;
            } else {
                jmhArgs.add(args[i]);
            }
        }
        CommandLineOptions cmd = new CommandLineOptions(jmhArgs.toArray(String[]::new));
        if (cmd.shouldHelp()) {
            System.out.println("Usage: java -jar benchmarks.jar [--suites " + String.join(",", Suites.names())
                    + " | --layer N,C,H,W,K,R,S,P,D,G ...] [--threads T] [--list-layers] [JMH options]");
            System.out.println("Defaults: all suites' layers, -rf json -rff jmh-result.json, benchmark "
                    + "HostConvBenchmark. Parameters: -p backend=cpu,cpu-reference,... (default cpu), -p batch=suite,8 "
                    + "(suite = the layer's own N), -p dtype=fp32 (the only one). --threads T: the cpu backend's threads "
                    + "(default: every processor).");
            System.out.println();
        }
        if (cmd.shouldHelp() || cmd.shouldList() || cmd.shouldListWithParams() || cmd.shouldListProfilers()
                || cmd.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(jmhArgs.toArray(String[]::new));
            return;
        }
        if (cmd.getParameter("layer").hasValue()) {
            throw new IllegalArgumentException("give layers with --layer N,C,H,W,K,R,S,P,D,G (repeatable) or "
                    + "--suites: JMH's -p layer=... splits the value at its commas");
        }
        for (String layer : layers) {
            BenchLayers.resolve(layer, BenchLayers.SUITE_BATCH, BenchLayers.FP32); // a bad spec fails here
        }
        ChainedOptionsBuilder options = new OptionsBuilder().parent(cmd)
                .param("layer", (layers.isEmpty() ? BenchLayers.of(suites) : layers).toArray(String[]::new));
        if (!cmd.getResultFormat().hasValue()) {
            options.resultFormat(ResultFormatType.JSON);
        }
        if (!cmd.getResult().hasValue()) {
            options.result("jmh-result.json");
        }
        // JMH's -jvmArgsAppend replaces the benchmarks' own, which carry the flag the cpu backend cannot do without.
        List<String> append = new ArrayList<>(List.of(VECTOR_MODULE, HEAP));
        if (cmd.getJvmArgsAppend().hasValue()) {
            for (String a : cmd.getJvmArgsAppend().get()) {
                if (!append.contains(a)) {
                    append.add(a);
                }
            }
        }
        if (threads != null) {
            append.add("-Djconv.threads=" + threads);
        }
        options.jvmArgsAppend(append.toArray(String[]::new));
        if (cmd.getIncludes().isEmpty()) {
            options.include(HostConvBenchmark.class.getSimpleName());
        }
        new Runner(options.build()).run();
    }
}
