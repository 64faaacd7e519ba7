package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jconv report} on real {@code jconv bench} output and JMH-format JSON, and {@code bench --plot}. */
class ReportCommandTest {
    private static final String SMALL = "1,4,9,11,6,3,1,1,1,1";

    @TempDir
    Path dir;

    private Path benchJson() throws IOException {
        Cli.Result r = Cli.run("bench", "--layer", SMALL, "--backend", "cpu,cpu-reference", "--warmup", "0",
                "--iterations", "3", "--format", "json", "--quiet");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err(), "--quiet prints no progress");
        Path f = dir.resolve("bench.json");
        Files.writeString(f, r.out());
        return f;
    }

    private Path jmhJson() throws IOException {
        Path f = dir.resolve("jmh.json");
        Files.writeString(f, "[{\"jmhVersion\": \"1.37\", \"benchmark\": \"dev.jconv.benchmarks.HostConvBenchmark.forward\","
                + " \"mode\": \"avgt\", \"params\": {\"backend\": \"cpu\", \"batch\": \"suite\", \"dtype\": \"fp32\","
                + " \"layer\": \"" + SMALL + "\"}, \"primaryMetric\": {\"score\": 0.05, \"scoreUnit\": \"ms/op\","
                + " \"rawData\": [[0.04, 0.05, 0.06]]}}]");
        return f;
    }

    @Test
    void benchAndJmhResultsMakeOneReportWithChartCsvAndJson() throws IOException {
        Path peer = dir.resolve("peer.csv");
        Files.writeString(peer, "layer,threads,pytorch_ms,jconv_ms,ratio\n\"" + SMALL + "\",2,0.02,0.05,0.4\n");
        Path png = dir.resolve("chart.png");
        Path csv = dir.resolve("report.csv");
        Path json = dir.resolve("report.json");
        Cli.Result r = Cli.run("report", "--bench", benchJson().toString(), "--jmh", jmhJson().toString(),
                "--peer", peer.toString(), "--plot", png.toString(), "--csv", csv.toString(), "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("layer 1: 4\u21926 3x3 9x11  [" + SMALL + "]  "), r.out());
        assertTrue(r.out().contains("vs PyTorch"), r.out());
        List<String> rows = Files.readAllLines(csv);
        assertEquals(4, rows.size(), String.join("\n", rows));
        assertTrue(rows.get(1).contains(",cpu,bench,"), rows.get(1));
        assertTrue(rows.get(2).contains(",cpu-reference,bench,"), rows.get(2));
        assertTrue(rows.get(3).contains(",cpu,jmh,42768,0.05,0.85536,"), rows.get(3));
        JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        JsonObject jmhRow = report.getAsJsonArray("layers").get(0).getAsJsonObject().getAsJsonArray("rows").get(2)
                .getAsJsonObject();
        assertEquals(0.4, jmhRow.get("speed_vs_pytorch").getAsDouble(), 1e-12);
        assertEquals(1.0, jmhRow.get("speedup_vs_cpu").getAsDouble(), 1e-12);
        BufferedImage chart = ImageIO.read(png.toFile());
        assertEquals(560, chart.getHeight());
    }

    @Test
    void benchPlotWritesTheChartAndKeepsStdoutForResults() throws IOException {
        Path png = dir.resolve("bench.png");
        Cli.Result r = Cli.run("bench", "--layer", SMALL, "--backend", "cpu-reference", "--warmup", "0",
                "--iterations", "2", "--format", "csv", "--plot", png.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("layer,backend,"), r.out());
        assertEquals(1, r.errLines().size(), "one progress line without a terminal: " + r.err());
        assertTrue(ImageIO.read(png.toFile()).getWidth() >= 720);
    }

    @Test
    void badInputIsOneLineAndWritesNothing() throws IOException {
        Path png = dir.resolve("never.png");
        Path bench = benchJson();
        Cli.assertOneLineError(Cli.run("report"), 2);
        Cli.assertOneLineError(Cli.run("report", "--bench", dir.resolve("missing.json").toString()), 2);
        Cli.assertOneLineError(Cli.run("report", "--jmh", bench.toString(), "--plot", png.toString()), 2);
        Cli.assertOneLineError(Cli.run("report", "--bench", bench.toString(), "--plot",
                dir.resolve("no/dir/x.png").toString()), 2);
        Cli.assertOneLineError(Cli.run("bench", "--layer", SMALL, "--backend", "cpu-reference", "--plot",
                dir.resolve("no/dir/x.png").toString()), 2);
        String msg = Cli.assertOneLineError(Cli.run("report", "--bench", bench.toString(), "--peer",
                bench.toString()), 2);
        assertTrue(msg.contains("needs a 'layer' column"), msg);
        assertFalse(Files.exists(png));
    }
}
