package dev.jconv.cuda;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import java.io.IOException;
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
 * What the GPU kit's measurement tools ({@link PtxBenchmark}, {@code cudnn.VendorBenchmark}) share: the
 * layer list, {@code --option value} arguments, the timing loop (warm-up, CUDA events around each call on
 * one stream, median) and the fp32 check against cpu-reference.
 */
public final class GpuBenchmarkKit {
    private GpuBenchmarkKit() {}

    /** One row of {@code benchmarks/gpu-kit/layers.csv}: a square-kernel convolution without bias. */
    public record Layer(String suite, String name, int in, int out, int kernel, int stride, int padding, int groups, int h,
                        int w) {
        /** The layer's geometry at batch {@code n}. */
        public ConvGeometry geometry(int n) {
            ConvParams p = ConvParams.defaults().withStride(stride).withPadding(padding).withGroups(groups);
            return ConvValidator.checkForward(new int[] {n, in, h, w}, new int[] {out, in / groups, kernel, kernel}, null, p);
        }
    }

    public static List<Layer> readLayers(Path csv) throws IOException {
        List<Layer> layers = new ArrayList<>();
        for (String line : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#") || line.startsWith("suite,")) {
                continue;
            }
            String[] f = line.split(",");
            layers.add(new Layer(f[0], f[1], i(f[2]), i(f[3]), i(f[4]), i(f[5]), i(f[6]), i(f[7]), i(f[8]), i(f[9])));
        }
        return layers;
    }

    private static int i(String s) {
        return Integer.parseInt(s.trim());
    }

    /** {@code --option value} pairs. */
    public static Map<String, String> options(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            m.put(args[i], args[i + 1]);
        }
        return m;
    }

    /**
     * {@code warmup} untimed calls, then {@code iters} calls each between two events on {@code stream}
     * (bias-free); the median in milliseconds. {@code output} holds the last call's result.
     */
    public static double medianMillis(DeviceConvPlan plan, DeviceTensor input, DeviceTensor weight, DeviceTensor output,
                                      CudaStream stream, CudaEvent start, CudaEvent end, int warmup, int iters) {
        for (int i = 0; i < warmup; i++) {
            plan.forwardAsync(input, weight, null, output, stream);
        }
        stream.synchronize();
        double[] ms = new double[iters];
        for (int i = 0; i < iters; i++) {
            start.record(stream);
            plan.forwardAsync(input, weight, null, output, stream);
            end.record(stream);
            end.synchronize();
            ms[i] = end.millisSince(start);
        }
        Arrays.sort(ms);
        return iters % 2 == 1 ? ms[iters / 2] : (ms[iters / 2 - 1] + ms[iters / 2]) / 2;
    }

    /** The fp32 rule as a verdict for the table: {@code ok (err .., tol ..)}, {@code FAIL (...)} or {@code FAIL (NaN)}. */
    public static String compare(float[] ref, float[] out) {
        double maxRef = 0;
        double maxErr = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(out[i])) {
                return "FAIL (NaN)";
            }
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxErr = Math.max(maxErr, Math.abs(out[i] - ref[i]));
        }
        double tol = 1e-4 * Math.max(1, maxRef);
        return (maxErr <= tol ? "ok" : "FAIL") + String.format(Locale.ROOT, " (err %.2e, tol %.2e)", maxErr, tol);
    }
}
