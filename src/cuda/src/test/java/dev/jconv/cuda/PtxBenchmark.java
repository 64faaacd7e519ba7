package dev.jconv.cuda;

import dev.jconv.ConvGeometry;
import dev.jconv.Tensor;
import dev.jconv.cpu.ReferenceBackend;
import dev.jconv.cuda.GpuBenchmarkKit.Layer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times cuda-ptx on the layers of {@code benchmarks/gpu-kit/layers.csv} (device tensors, so only the
 * kernel is timed, as PyTorch's CUDA conv2d is by {@code pytorch_cuda_peer.py}): warm-up, then CUDA
 * events around each call, median. Optionally joins the PyTorch peer's CSV and checks batch-1 results
 * against cpu-reference. A measurement tool run by the GPU kit, not a test.
 *
 * <p>Usage: {@code PtxBenchmark --layers layers.csv [--batches 1,32] [--warmup 5] [--iters 30]
 * [--peer peer.csv] [--out result.csv] [--check-batch 1|0]}
 */
public final class PtxBenchmark {
    private PtxBenchmark() {}

    record Row(Layer layer, int batch, String kernel, double ms, double tflops, Double peerMs, String check) {}

    public static void main(String[] args) throws IOException {
        Map<String, String> opt = GpuBenchmarkKit.options(args);
        List<Layer> layers = GpuBenchmarkKit.readLayers(Path.of(opt.getOrDefault("--layers", "benchmarks/gpu-kit/layers.csv")));
        int[] batches = Arrays.stream(opt.getOrDefault("--batches", "1,32").split(",")).mapToInt(Integer::parseInt).toArray();
        int warmup = Integer.parseInt(opt.getOrDefault("--warmup", "5"));
        int iters = Integer.parseInt(opt.getOrDefault("--iters", "30"));
        int checkBatch = Integer.parseInt(opt.getOrDefault("--check-batch", "1"));
        Map<String, Double> peer = opt.containsKey("--peer") ? readPeer(Path.of(opt.get("--peer"))) : Map.of();

        if (!Cuda.isAvailable()) {
            System.err.println("PtxBenchmark: " + Cuda.availability().reason());
            System.exit(2);
        }
        CudaDevice device = CudaDevice.selected();
        PrintStream out = System.out;
        out.println("# cuda-ptx on " + device.describe() + ", driver CUDA " + Cuda.versionString(Cuda.driverVersion())
                + ", fp32, median of " + iters + " after " + warmup + " warm-up calls, CUDA events, device tensors");
        List<Row> rows = new ArrayList<>();
        try (PtxBackend backend = new PtxBackend(); CudaStream stream = device.createStream();
             CudaEvent start = new CudaEvent(device); CudaEvent end = new CudaEvent(device)) {
            for (Layer l : layers) {
                for (int n : batches) {
                    rows.add(measure(backend, device, stream, start, end, l, n, warmup, iters, n == checkBatch, peer));
                    Row r = rows.get(rows.size() - 1);
                    out.printf(Locale.ROOT, "%-12s %-28s n=%-3d %-22s %9.4f ms %7.2f TFLOP/s %s%n", l.suite(), l.name(), n,
                            r.kernel(), r.ms(), r.tflops(), r.check());
                }
            }
        }
        if (opt.containsKey("--out")) {
            writeCsv(Path.of(opt.get("--out")), rows);
        }
        printTable(out, rows);
    }

    private static Row measure(PtxBackend backend, CudaDevice device, CudaStream stream, CudaEvent start, CudaEvent end,
                               Layer l, int n, int warmup, int iters, boolean check, Map<String, Double> peer) {
        ConvGeometry g = l.geometry(n);
        Tensor x = Tensor.randn(1, g.inputShape());
        Tensor w = Tensor.randn(2, g.weightShape());
        PtxPlan plan = (PtxPlan) backend.plan(g);
        try (DeviceTensor dx = DeviceTensor.upload(device, x); DeviceTensor dw = DeviceTensor.upload(device, w);
             DeviceTensor dy = DeviceTensor.allocate(device, g.outputShape())) {
            dy.fill(Float.NaN);
            double median = GpuBenchmarkKit.medianMillis(plan, dx, dw, dy, stream, start, end, warmup, iters);
            String verdict = "";
            if (check) {
                float[] ref = new float[Math.toIntExact(LaunchPlanner.outputElements(g))];
                new ReferenceBackend().plan(g).forward(x.data(), w.data(), null, ref);
                verdict = GpuBenchmarkKit.compare(ref, dy.download().data());
            }
            return new Row(l, n, plan.launch().kernelName(), median, g.flops() / median / 1e9,
                    peer.get(l.name() + "@" + n), verdict);
        }
    }

    private static void printTable(PrintStream out, List<Row> rows) {
        out.println();
        out.println("| suite | layer | N | kernel | cuda-ptx ms | TFLOP/s | PyTorch ms | cuda-ptx / PyTorch | check |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "| %s | %s | %d | %s | %.4f | %.2f | %s | %s | %s |%n", r.layer().suite(), r.layer().name(),
                    r.batch(), r.kernel(), r.ms(), r.tflops(),
                    r.peerMs() == null ? "-" : String.format(Locale.ROOT, "%.4f", r.peerMs()),
                    r.peerMs() == null ? "-" : String.format(Locale.ROOT, "%.2fx", r.ms() / r.peerMs()), r.check());
        }
    }

    private static void writeCsv(Path path, List<Row> rows) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("suite,name,batch,kernel,ptx_ms_median,ptx_tflops,torch_ms_median,check");
        for (Row r : rows) {
            lines.add(String.join(",", r.layer().suite(), r.layer().name(), Integer.toString(r.batch()), r.kernel(),
                    String.format(Locale.ROOT, "%.5f", r.ms()), String.format(Locale.ROOT, "%.3f", r.tflops()),
                    r.peerMs() == null ? "" : String.format(Locale.ROOT, "%.5f", r.peerMs()), r.check()));
        }
        Files.write(path, lines, StandardCharsets.UTF_8);
    }

    private static Map<String, Double> readPeer(Path csv) throws IOException {
        Map<String, Double> ms = new HashMap<>();
        if (!Files.exists(csv)) {
            return ms;
        }
        for (String line : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
            String[] f = line.split(",");
            if (f.length >= 4 && !line.startsWith("suite,") && !line.startsWith("#")) {
                ms.put(f[1] + "@" + f[2], Double.parseDouble(f[3]));
            }
        }
        return ms;
    }

}
