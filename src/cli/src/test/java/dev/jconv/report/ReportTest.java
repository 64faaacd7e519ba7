package dev.jconv.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    @TempDir
    Path dir;

    private static final String A = "1,64,56,56,64,3,1,1,1,1";
    private static final String B = "1,32,112,112,32,3,1,1,1,32";

    private static List<Measurement> sample() {
        return List.of(
                new Measurement(A, "cpu-reference", "bench", 2e8, 100),
                new Measurement(A, "cpu", "bench", 2e8, 4),
                new Measurement(B, "cpu", "bench", 1e7, 0.5),
                new Measurement(A, "cpu", "jmh", 2e8, 5));
    }

    @Test
    void speedUpsAreBaselineTimeOverThisTimeFromTheSameSourceFirst() {
        Report r = Report.build(sample(), Map.of(A, 3.0));
        assertEquals(2, r.layers().size());
        Report.LayerRows a = r.layers().get(0);
        assertEquals(A, a.layer());
        assertEquals("64\u219264 3x3 56\u00b2", a.label());
        assertEquals(3.0, a.pytorchMs());
        Report.Row ref = a.rows().get(0);
        Report.Row cpu = a.rows().get(1);
        Report.Row jmh = a.rows().get(2);
        assertEquals(1.0, ref.speedupVsReference());
        assertEquals(0.04, ref.speedupVsCpu(), 1e-12);
        assertEquals(25.0, cpu.speedupVsReference(), 1e-12);
        assertEquals(1.0, cpu.speedupVsCpu());
        assertEquals(0.75, cpu.speedVsPytorch(), 1e-12);
        assertEquals(50.0, cpu.gflops(), 1e-9);
        // JMH measured cpu itself (5 ms), so its cpu baseline is its own; cpu-reference only exists in bench.
        assertEquals(1.0, jmh.speedupVsCpu());
        assertEquals(20.0, jmh.speedupVsReference(), 1e-12);
        Report.LayerRows b = r.layers().get(1);
        assertTrue(Double.isNaN(b.rows().get(0).speedupVsReference()), "no reference measured for B");
        assertTrue(Double.isNaN(b.pytorchMs()));
    }

    @Test
    void tableCsvAndJsonCarryTheSameNumbers() {
        Report r = Report.build(sample(), Map.of(A, 3.0));
        String table = r.table();
        assertTrue(table.contains("layer 1: 64\u219264 3x3 56\u00b2  [" + A + "]  0.2 GFLOP  PyTorch 3 ms"), table);
        assertTrue(table.contains(" 25x "), table);
        assertTrue(table.contains(" 0.04x "), table);
        assertTrue(table.contains("vs PyTorch"), table);
        String[] csv = r.csv().split("\n");
        assertEquals("layer,label,backend,source,flops,median_ms,gflops,speedup_vs_cpu_reference,speedup_vs_cpu,"
                + "pytorch_ms,speed_vs_pytorch", csv[0]);
        assertEquals("\"" + A + "\",\"64\u219264 3x3 56\u00b2\",cpu,bench,200000000,4,50,25,1,3,0.75", csv[2]);
        assertEquals("\"" + B + "\",\"32\u219232 3x3 dw 112\u00b2\",cpu,bench,10000000,0.5,20,,1,,", csv[4]);
        JsonObject json = JsonParser.parseString(r.json()).getAsJsonObject();
        JsonObject row = json.getAsJsonArray("layers").get(0).getAsJsonObject().getAsJsonArray("rows").get(1)
                .getAsJsonObject();
        assertEquals(25.0, row.get("speedup_vs_cpu_reference").getAsDouble(), 1e-12);
        assertTrue(json.getAsJsonArray("layers").get(1).getAsJsonObject().get("pytorch_ms").isJsonNull());
    }

    @Test
    void withoutPeerTheTableHasNoPyTorchColumn() {
        String table = Report.build(sample(), Map.of()).table();
        assertTrue(!table.contains("PyTorch"), table);
    }

    @Test
    void benchJsonIsRead() throws IOException {
        Path f = dir.resolve("bench.json");
        Files.writeString(f, "{\"date\": \"x\", \"results\": [\n"
                + "{\"layer\": \"" + A + "\", \"backend\": \"cpu\", \"threads\": 2, \"flops\": 231211008, "
                + "\"warmup\": 3, \"iterations\": 10, \"median_ms\": 4.5, \"min_ms\": 4.1, \"max_ms\": 5.0, "
                + "\"gflops\": 51.38, \"algorithm\": \"gemm\"}]}");
        List<Measurement> ms = ResultFiles.readBench(f);
        assertEquals(List.of(new Measurement(A, "cpu", "bench", 231211008, 4.5)), ms);
    }

    @Test
    void jmhJsonIsReadAsTheMedianOfIterationsInMilliseconds() throws IOException {
        Path f = dir.resolve("jmh.json");
        Files.writeString(f, "[{\"jmhVersion\": \"1.37\", \"benchmark\": \"dev.jconv.benchmarks.CpuConvBenchmark.forward\","
                + " \"mode\": \"avgt\", \"params\": {\"backend\": \"cpu\", \"batch\": \"8\", \"dtype\": \"fp32\","
                + " \"layer\": \"" + A + "\"}, \"primaryMetric\": {\"score\": 999, \"scoreUnit\": \"us/op\","
                + " \"rawData\": [[4000, 5000, 90000], [4500]]}},"
                + "{\"benchmark\": \"dev.jconv.benchmarks.GpuConvBenchmark.device\", \"mode\": \"avgt\","
                + " \"params\": {\"backend\": \"cudnn\", \"batch\": \"suite\", \"layer\": \"" + B + "\"},"
                + " \"primaryMetric\": {\"score\": 0.25, \"scoreUnit\": \"ms/op\"}}]");
        List<Measurement> ms = ResultFiles.readJmh(f, layer -> layer.startsWith("8,") ? 8e6 : 1e6);
        assertEquals(new Measurement("8,64,56,56,64,3,1,1,1,1", "cpu", "jmh", 8e6, 4.75), ms.get(0));
        assertEquals(new Measurement(B, "cudnn device", "jmh", 1e6, 0.25), ms.get(1));
    }

    /** The file a real run of the harness wrote (benchmarks/run-jmh.sh with two layers on cpu and cpu-reference). */
    @Test
    void realJmhOutputIsRead() throws Exception {
        Path f = Path.of(getClass().getResource("jmh-host-sample.json").toURI());
        List<Measurement> ms = ResultFiles.readJmh(f, Measurements::flopsOf);
        assertEquals(4, ms.size());
        Measurement first = ms.get(0);
        assertEquals(A, first.layer());
        assertEquals("cpu", first.backend());
        assertEquals("jmh", first.source());
        assertEquals(2.0 * 64 * 56 * 56 * 64 * 9, first.flops());
        assertTrue(first.medianMs() > 0.1 && first.medianMs() < 100, "ms/op read as milliseconds: " + first);
        assertEquals(B, ms.get(1).layer());
        assertEquals("cpu-reference", ms.get(2).backend());
    }

    @Test
    void peerCsvIsReadByColumnName() throws IOException {
        Path f = dir.resolve("peer.csv");
        Files.writeString(f, "layer,threads,pytorch_ms,jconv_ms\n\"" + A + "\",2,3.5,4\n\"1, 3,224,224,64,7,2,3,1,1\",2,9,10\n");
        Map<String, Double> peer = ResultFiles.readPeer(f);
        assertEquals(Map.of(A, 3.5, "1,3,224,224,64,7,2,3,1,1", 9.0), peer);
    }

    @Test
    void brokenFilesAreNamedWithTheProblem() throws IOException {
        Path notJson = dir.resolve("a.json");
        Files.writeString(notJson, "{ nope");
        assertTrue(assertThrows(IOException.class, () -> ResultFiles.readBench(notJson)).getMessage()
                .startsWith(notJson + ": not valid JSON"));
        Path jmhAsBench = dir.resolve("b.json");
        Files.writeString(jmhAsBench, "[]");
        assertTrue(assertThrows(IOException.class, () -> ResultFiles.readBench(jmhAsBench)).getMessage()
                .contains("no \"results\" array"));
        Path benchAsJmh = dir.resolve("c.json");
        Files.writeString(benchAsJmh, "{\"results\": []}");
        assertTrue(assertThrows(IOException.class, () -> ResultFiles.readJmh(benchAsJmh, l -> 1)).getMessage()
                .contains("not a JMH JSON result"));
        Path thrpt = dir.resolve("d.json");
        Files.writeString(thrpt, "[{\"benchmark\": \"x.forward\", \"mode\": \"thrpt\", \"params\": {}}]");
        assertTrue(assertThrows(IOException.class, () -> ResultFiles.readJmh(thrpt, l -> 1)).getMessage()
                .contains("has mode 'thrpt'"));
        Path peer = dir.resolve("p.csv");
        Files.writeString(peer, "layer,speed\n\"" + A + "\",3\n");
        assertTrue(assertThrows(IOException.class, () -> ResultFiles.readPeer(peer)).getMessage()
                .contains("needs a 'layer' column and a time column"));
        Files.writeString(peer, "layer,pytorch_ms\n\"" + A + "\",-3\n");
        assertTrue(assertThrows(IOException.class, () -> ResultFiles.readPeer(peer)).getMessage()
                .contains("line 2: time '-3' is not a positive number"));
    }
}
