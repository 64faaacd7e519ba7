package dev.jconv.cuda.cudnn;

import dev.jconv.ConvGeometry;
import dev.jconv.Tensor;
import dev.jconv.backend.Availability;
import dev.jconv.cpu.ReferenceBackend;
import dev.jconv.cuda.Cuda;
import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaEvent;
import dev.jconv.cuda.CudaStream;
import dev.jconv.cuda.DeviceConvPlan;
import dev.jconv.cuda.DeviceTensor;
import dev.jconv.cuda.GpuBenchmarkKit;
import dev.jconv.cuda.GpuBenchmarkKit.Layer;
import dev.jconv.cuda.cublas.CublasBackend;
import dev.jconv.cuda.cublas.CublasSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times the vendor backends on the layers of {@code benchmarks/gpu-kit/layers.csv}, like
 * {@code dev.jconv.cuda.PtxBenchmark} times cuda-ptx (device tensors, warm-up, CUDA events around each
 * call on one stream, median; planning happens before timing): {@code cudnn} with the heuristic, {@code
 * cudnn} in benchmark mode, and {@code cublas} where CUDA 12's cuBLAS exists. Joins PyTorch's CUDA times
 * ({@code pytorch_cuda_peer.py}, heuristic and {@code --cudnn-benchmark}) and cuda-ptx's (PtxBenchmark's
 * CSV) into one table: each jconv time divided by PyTorch's in the same mode. Batch-1 results are checked
 * against cpu-reference (fp32 rule). A measurement tool run by the GPU kit, not a test.
 *
 * <p>Usage: {@code VendorBenchmark --layers layers.csv [--batches 1,32] [--warmup 5] [--iters 30]
 * [--peer torch.csv] [--peer-benchmark torch-benchmark.csv] [--ptx ptx.csv] [--out result.csv] [--check-batch 1]}
 */
public final class VendorBenchmark {
    private VendorBenchmark() {}

    /** One backend's median on one layer and batch: {@code ms} null when it could not run (why in {@code note}). */
    record Timing(Double ms, String algorithm, String note) {}

    public static void main(String[] args) throws IOException {
        Map<String, String> opt = GpuBenchmarkKit.options(args);
        List<Layer> layers = GpuBenchmarkKit.readLayers(Path.of(opt.getOrDefault("--layers", "benchmarks/gpu-kit/layers.csv")));
        int[] batches = Arrays.stream(opt.getOrDefault("--batches", "1,32").split(",")).mapToInt(Integer::parseInt).toArray();
        int warmup = Integer.parseInt(opt.getOrDefault("--warmup", "5"));
        int iters = Integer.parseInt(opt.getOrDefault("--iters", "30"));
        int checkBatch = Integer.parseInt(opt.getOrDefault("--check-batch", "1"));
        Map<String, Double> torch = readTimes(opt.get("--peer"), 3);
        Map<String, Double> torchBenchmark = readTimes(opt.get("--peer-benchmark"), 3);
        Map<String, Double> ptx = readTimes(opt.get("--ptx"), 4);
        if (!Cuda.isAvailable()) {
            System.err.println("VendorBenchmark: " + Cuda.availability().reason());
            System.exit(2);
        }
        CudaDevice device = CudaDevice.selected();
        PrintStream out = System.out;
        Map<String, AutoCloseable> backends = new LinkedHashMap<>();
        CudnnBackend heuristic = new CudnnBackend(CudnnSettings.DEFAULTS);
        CudnnBackend benchmark = new CudnnBackend(CudnnSettings.DEFAULTS.withBenchmark(true));
        CublasBackend cublas = new CublasBackend(CublasSettings.DEFAULTS);
        backends.put("cudnn", heuristic);
        backends.put("cudnn-benchmark", benchmark);
        backends.put("cublas", cublas);
        out.println("# vendor backends on " + device.describe() + ", driver CUDA " + Cuda.versionString(Cuda.driverVersion())
                + ", fp32 (strict: FMA math, no TF32), median of " + iters + " after " + warmup
                + " warm-up calls, CUDA events, device tensors");
        out.println("# cudnn: " + heuristic.availability());
        out.println("# cublas: " + cublas.availability());
        List<String> csv = new ArrayList<>();
        csv.add("suite,name,batch,backend,algorithm,ms_median,tflops,torch_ms_median,check");
        List<String[]> table = new ArrayList<>();
        try (CudaStream stream = device.createStream(); CudaEvent start = new CudaEvent(device);
             CudaEvent end = new CudaEvent(device)) {
            for (Layer l : layers) {
                for (int n : batches) {
                    ConvGeometry g = l.geometry(n);
                    Tensor x = Tensor.randn(1, g.inputShape());
                    Tensor w = Tensor.randn(2, g.weightShape());
                    float[] ref = null;
                    if (n == checkBatch) {
                        ref = new float[Math.toIntExact((long) n * g.outChannels() * g.outHeight() * g.outWidth())];
                        new ReferenceBackend().plan(g).forward(x.data(), w.data(), null, ref);
                    }
                    String key = l.name() + "@" + n;
                    Map<String, Timing> row = new LinkedHashMap<>();
                    row.put("cudnn", time(heuristic, heuristic.availability(), g, device, stream, start, end, x, w, warmup, iters, ref));
                    row.put("cudnn-benchmark", time(benchmark, benchmark.availability(), g, device, stream, start, end, x, w,
                            warmup, iters, ref));
                    row.put("cublas", time(cublas, cublas.availability(), g, device, stream, start, end, x, w, warmup, iters, ref));
                    for (Map.Entry<String, Timing> e : row.entrySet()) {
                        Timing t = e.getValue();
                        Double peer = e.getKey().equals("cudnn-benchmark") ? torchBenchmark.get(key) : torch.get(key);
                        String timing = t.ms() == null ? "- (" + t.note() + ")" : String.format(Locale.ROOT,
                                "%9.4f ms %7.2f TFLOP/s %s", t.ms(), g.flops() / t.ms() / 1e9, t.note());
                        out.printf(Locale.ROOT, "%-12s %-28s n=%-3d %-16s %-26s %s%n", l.suite(), l.name(), n, e.getKey(),
                                t.algorithm(), timing);
                        csv.add(String.join(",", l.suite(), l.name(), Integer.toString(n), e.getKey(), t.algorithm(),
                                t.ms() == null ? "" : String.format(Locale.ROOT, "%.5f", t.ms()),
                                t.ms() == null ? "" : String.format(Locale.ROOT, "%.3f", g.flops() / t.ms() / 1e9),
                                peer == null ? "" : String.format(Locale.ROOT, "%.5f", peer), t.note().replace(',', ';')));
                    }
                    table.add(new String[] {l.suite(), l.name(), Integer.toString(n), ms(torch.get(key)),
                            withRatio(row.get("cudnn"), torch.get(key)), withRatio(ptx.get(key), torch.get(key)),
                            ms(torchBenchmark.get(key)), withRatio(row.get("cudnn-benchmark"), torchBenchmark.get(key)),
                            withRatio(row.get("cublas"), torch.get(key)), row.get("cudnn").algorithm(),
                            checks(row)});
                }
            }
        } finally {
            heuristic.close();
            benchmark.close();
            cublas.close();
        }
        if (opt.containsKey("--out")) {
            Files.write(Path.of(opt.get("--out")), csv, StandardCharsets.UTF_8);
        }
        out.println();
        out.println("| suite | layer | N | PyTorch ms | cudnn ms (x PyTorch) | cuda-ptx ms (x PyTorch) | PyTorch bench ms"
                + " | cudnn bench ms (x PyTorch bench) | cublas ms (x PyTorch) | cudnn algorithm | check |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (String[] r : table) {
            out.println("| " + String.join(" | ", r) + " |");
        }
    }

    private static Timing time(AutoCloseable backendObject, Availability availability, ConvGeometry g, CudaDevice device,
                               CudaStream stream, CudaEvent start, CudaEvent end, Tensor x, Tensor w, int warmup, int iters,
                               float[] ref) {
        if (!availability.available()) {
            return new Timing(null, "-", "unavailable");
        }
        dev.jconv.backend.ConvBackend backend = (dev.jconv.backend.ConvBackend) backendObject;
        if (!backend.supports(g)) {
            return new Timing(null, "-", "unsupported");
        }
        try {
            DeviceConvPlan plan = (DeviceConvPlan) backend.plan(g);
            String algorithm = plan instanceof CudnnPlan c ? c.algorithm().algoName() : plan.describe().contains("no im2col")
                    ? "GEMM" : "im2col+GEMM";
            try (DeviceTensor dx = DeviceTensor.upload(device, x); DeviceTensor dw = DeviceTensor.upload(device, w);
                 DeviceTensor dy = DeviceTensor.allocate(device, g.outputShape())) {
                dy.fill(Float.NaN);
                double median = GpuBenchmarkKit.medianMillis(plan, dx, dw, dy, stream, start, end, warmup, iters);
                return new Timing(median, algorithm, ref == null ? "" : GpuBenchmarkKit.compare(ref, dy.download().data()));
            }
        } catch (RuntimeException e) {
            return new Timing(null, "-", "FAILED: " + e.getMessage());
        }
    }

    private static String checks(Map<String, Timing> row) {
        List<String> bad = new ArrayList<>();
        boolean checked = false;
        for (Map.Entry<String, Timing> e : row.entrySet()) {
            String note = e.getValue().note();
            checked |= note.startsWith("ok");
            if (note.startsWith("FAIL")) {
                bad.add(e.getKey() + " " + note);
            }
        }
        return !bad.isEmpty() ? String.join("; ", bad) : checked ? "ok" : "-";
    }

    private static String ms(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String withRatio(Timing t, Double peer) {
        return t == null || t.ms() == null ? (t == null ? "-" : t.note().startsWith("FAILED") ? "failed" : "-") : withRatio(t.ms(), peer);
    }

    private static String withRatio(Double ms, Double peer) {
        if (ms == null) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.4f", ms) + (peer == null ? "" : String.format(Locale.ROOT, " (%.2fx)", ms / peer));
    }

    /** {@code name@batch -> ms} from a CSV whose columns 1 and 2 are name and batch and {@code column} the time; missing file: empty. */
    static Map<String, Double> readTimes(String file, int column) throws IOException {
        Map<String, Double> ms = new HashMap<>();
        if (file == null || !Files.exists(Path.of(file))) {
            return ms;
        }
        for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
            String[] f = line.split(",");
            if (f.length > column && !line.startsWith("suite,") && !line.startsWith("#") && !f[column].isBlank()) {
                ms.put(f[1] + "@" + f[2], Double.parseDouble(f[column]));
            }
        }
        return ms;
    }

}
