package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code jconv bench}: output formats, what goes to stdout and stderr, and every bad-input path. */
class BenchCommandTest {
    private static final String SMALL = "1,4,9,11,6,3,1,1,1,1";
    private static final String DEPTHWISE = "2,6,8,8,6,3,2,1,1,6";

    private static Cli.Result bench(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "bench";
        System.arraycopy(args, 0, all, 1, args.length);
        System.arraycopy(new String[] {"--warmup", "0", "--iterations", "3"}, 0, all, args.length + 1, 4);
        return Cli.run(all);
    }

    @Test
    void csvHasTheHeaderAndOneRowPerLayerAndBackendWithTheLayerVerbatim() {
        Cli.Result r = bench("--layer", SMALL, "--layer", DEPTHWISE, "--backend", "cpu,cpu-reference",
                "--threads", "2", "--format", "csv");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("layer,backend,threads,median_ms,min_ms,max_ms,gflops", lines.get(0));
        assertEquals(5, lines.size(), r.out());
        assertTrue(lines.get(1).startsWith("\"" + SMALL + "\",cpu,2,"), lines.get(1));
        assertTrue(lines.get(2).startsWith("\"" + SMALL + "\",cpu-reference,1,"), lines.get(2));
        assertTrue(lines.get(3).startsWith("\"" + DEPTHWISE + "\",cpu,2,"), lines.get(3));
        for (String row : lines.subList(1, lines.size())) {
            String[] f = row.substring(row.lastIndexOf('"') + 2).split(",");
            double median = Double.parseDouble(f[2]);
            assertTrue(Double.parseDouble(f[3]) <= median && median <= Double.parseDouble(f[4]), row);
            assertTrue(Double.parseDouble(f[5]) > 0, row);
        }
        assertEquals(4, r.errLines().size(), "one progress line per pair on stderr: " + r.err());
        assertTrue(r.errLines().get(0).startsWith("bench [1/4] " + SMALL + " on cpu"), r.err());
    }

    @Test
    void jsonCarriesTheRunAndEveryResult() {
        Cli.Result r = bench("--suite", "seeds", "--backend", "cpu", "--threads", "1", "--format", "json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject run = JsonParser.parseReader(new StringReader(r.out())).getAsJsonObject();
        assertTrue(run.get("java").getAsString().contains(System.getProperty("java.runtime.version")), run.toString());
        assertEquals(0, run.get("warmup").getAsInt());
        JsonArray results = run.getAsJsonArray("results");
        assertEquals(12, results.size());
        JsonObject first = results.get(0).getAsJsonObject();
        assertEquals("1,3,28,28,16,3,1,1,1,1", first.get("layer").getAsString());
        assertEquals("cpu", first.get("backend").getAsString());
        assertEquals(2.0 * 16 * 28 * 28 * 3 * 9, first.get("flops").getAsDouble());
        assertEquals(3, first.get("iterations").getAsInt());
        assertTrue(first.get("gflops").getAsDouble() > 0);
        assertTrue(first.get("algorithm").getAsString().startsWith("implicit GEMM"), first.toString());
    }

    @Test
    void tableIsTheDefault() {
        Cli.Result r = bench("--layer", SMALL, "--backend", "cpu-reference");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("layer "), r.out());
        assertTrue(r.out().contains(SMALL + "  cpu-reference"), r.out());
    }

    @Test
    void autoResolvesToTheBackendItPicks() {
        Cli.Result r = bench("--layer", SMALL, "--backend", "auto", "--format", "csv");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().lines().toList().get(1).startsWith("\"" + SMALL + "\",cpu,"), r.out());
    }

    /** {@code --serve} with {@code stdin} as standard input. */
    private static Cli.Result serve(String stdin, String... args) {
        CommandLine cli = Main.commandLine();
        ((BenchCommand) cli.getSubcommands().get("bench").getCommand()).stdin =
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        String[] all = new String[args.length + 6];
        all[0] = "bench";
        all[1] = "--serve";
        System.arraycopy(args, 0, all, 2, args.length);
        System.arraycopy(new String[] {"--warmup", "0", "--iterations", "2"}, 0, all, args.length + 2, 4);
        return Cli.run(cli, all);
    }

    @Test
    void serveTimesEachLayerOfStandardInputAndPrintsItsCsvRows() {
        Cli.Result r = serve(SMALL + "\n\n  " + DEPTHWISE + "\n", "--backend", "cpu,cpu-reference");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(5, lines.size(), r.out());
        assertEquals("layer,backend,threads,median_ms,min_ms,max_ms,gflops", lines.get(0));
        assertTrue(lines.get(1).startsWith("\"" + SMALL + "\",cpu,"), r.out());
        assertTrue(lines.get(2).startsWith("\"" + SMALL + "\",cpu-reference,"), r.out());
        assertTrue(lines.get(3).startsWith("\"" + DEPTHWISE + "\",cpu,"), r.out());
        assertTrue(lines.get(4).startsWith("\"" + DEPTHWISE + "\",cpu-reference,"), r.out());
        assertEquals("", r.err(), "no progress lines in --serve");
    }

    @Test
    void serveStopsAtALineThatIsNoLayerWithOneErrorLine() {
        Cli.Result r = serve(SMALL + "\n1,2,3\n" + DEPTHWISE + "\n", "--backend", "cpu");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(List.of("error: layer '1,2,3' must be 10 comma-separated integers N,C,H,W,K,R,S,P,D,G, got 3"
                + " values"), r.errLines());
        assertEquals(2, r.out().lines().count(), "the header and the first layer's row: " + r.out());
        String line = Cli.assertOneLineError(serve("", "--layer", SMALL), 2);
        assertTrue(line.startsWith("--serve takes its layers from standard input"), line);
        assertEquals(0, serve("", "--format", "csv").exitCode());
        Cli.assertOneLineError(serve("", "--format", "json"), 2);
    }

    @Test
    void listPrintsTheLayersWithoutTimingThem() {
        Cli.Result r = Cli.run("bench", "--layer", SMALL, "--suite", "target", "--list");
        assertEquals(0, r.exitCode(), r.err());
        List<String> expected = new java.util.ArrayList<>(List.of(SMALL));
        dev.jconv.bench.Suites.layers("target").forEach(l -> expected.add(l.text()));
        assertEquals(expected, r.out().lines().toList());
        assertEquals("", r.err());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--layer 1,2,3|layer '1,2,3' must be 10 comma-separated integers N,C,H,W,K,R,S,P,D,G, got 3 values",
        "--layer 1,4,9,11,6,3,1,1,1,1 --backend tpu|unknown backend 'tpu', expected one of",
        "--suite vgg|unknown suite 'vgg', expected one of [resnet50, mobilenetv2, seeds, target, vgg16, deeplab]",
        "--layer 1,4,9,11,6,3,1,1,1,1 --format xml|unknown format 'xml', expected one of table, csv, json",
        "--layer 1,4,9,11,6,3,1,1,1,1 --threads 0|--threads must be from 1 to 1024, got 0",
        "--layer 1,4,9,11,6,3,1,1,1,1 --threads 100000|--threads must be from 1 to 1024, got 100000",
        "--layer 1,4,9,11,6,3,1,1,1,1 --iterations 0|--iterations must be at least 1, got 0",
        "--backend cpu|nothing to run: give at least one --layer or --suite",
        "--layer 1,4,9,11,6,3,1,1,1,1 --threads two|Invalid value for option '--threads': 'two' is not an int",
    })
    void badInputIsOneErrorLineAndExitStatus2(String args, String message) {
        Cli.Result r = Cli.run(("bench " + args).split(" "));
        String line = Cli.assertOneLineError(r, 2);
        assertTrue(line.startsWith(message), line);
    }
}
