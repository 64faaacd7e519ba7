package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.PostOp;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import java.util.Arrays;
import java.util.Locale;

/**
 * The {@code cpu} plans against each other on the same layers, in one JVM: per layer each variant is warmed for 2 s,
 * then the variants take turns, 15 rounds of 10 calls each, and the median of the round medians is printed with
 * its ratio to the first variant. On the shared 2-core VMs this project is measured on, separate processes differ
 * by up to 2x from run to run; alternating in one process is what made the plan choices in {@link CpuBackend}
 * reproducible. Not a test (speed is measured, never asserted):
 * <pre>
 *   mvn -q -pl src/engine test-compile
 *   java --add-modules jdk.incubator.vector [-XX:UseAVX=2] -cp src/engine/target/classes:src/engine/target/test-classes \
 *       dev.jconv.cpu.PlanVariantsBenchmark THREADS VARIANT,VARIANT,... N,C,H,W,K,R,S,P,D,G ...
 * </pre>
 * Variants: {@code auto} (the backend's choice), {@code igemm} ({@link ImplicitGemmPlan}), {@code wino}
 * ({@link WinogradPlan}, 3x3 stride-1 only; {@code wino2} its F(2x2, 3x3), {@link Winograd2x2Plan}, few tiles
 * only), {@code chan} ({@link ChannelGemmPlan}; {@code channarrow} with its
 * 32-channel tile), {@code stem} ({@link StemPlan}, any shape), {@code dwrows} and
 * {@code dwblock} (the depthwise plans), {@code dwcopy} ({@code dwrows} on its padded copy even where it could read
 * the input in place), {@code stemplanar} and {@code steminter} ({@code stem} on its planar or interleaved copy).
 * {@code VARIANT@T} runs a variant on {@code T} threads instead of {@code THREADS} (thread scaling in one JVM:
 * {@code wino@1,wino@2}). Layers as {@code jconv bench --layer}: batch, in channels, height, width, out channels,
 * square kernel, stride, padding, dilation, groups.
 */
public final class PlanVariantsBenchmark {
    private static final int ROUNDS = 15;
    private static final int CALLS = 10;

    private PlanVariantsBenchmark() {}

    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]);
        String[] variants = args[1].split(",");
        for (int i = 2; i < args.length; i++) {
            int[] l = Arrays.stream(args[i].split(",")).mapToInt(Integer::parseInt).toArray();
            ConvGeometry g = ConvValidator.checkForward(new int[] {l[0], l[1], l[2], l[3]},
                    new int[] {l[4], l[1] / l[9], l[5], l[5]}, null,
                    new ConvParams(l[6], l[6], Padding.of(l[7]), l[8], l[8], l[9], PaddingMode.ZEROS));
            float[] in = Tensor.uniform(1, -1f, 1f, g.inputShape()).data();
            float[] w = Tensor.uniform(2, -1f, 1f, g.weightShape()).data();
            float[] out = new float[g.batch() * g.outChannels() * g.outHeight() * g.outWidth()];
            ConvPlan[] plans = new ConvPlan[variants.length];
            for (int v = 0; v < variants.length; v++) {
                plans[v] = plan(variants[v], g, threads);
                long end = System.nanoTime() + 2_000_000_000L;
                while (System.nanoTime() < end) {
                    plans[v].forward(in, w, null, out);
                }
            }
            double[][] rounds = new double[variants.length][ROUNDS];
            long[] calls = new long[CALLS];
            for (int r = 0; r < ROUNDS; r++) {
                for (int v = 0; v < variants.length; v++) {
                    for (int c = 0; c < CALLS; c++) {
                        long t0 = System.nanoTime();
                        plans[v].forward(in, w, null, out);
                        calls[c] = System.nanoTime() - t0;
                    }
                    Arrays.sort(calls);
                    rounds[v][r] = calls[CALLS / 2] / 1e6;
                }
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-28s", args[i]));
            double first = 0;
            for (int v = 0; v < variants.length; v++) {
                Arrays.sort(rounds[v]);
                double median = rounds[v][ROUNDS / 2];
                first = v == 0 ? median : first;
                line.append(String.format(Locale.ROOT, "  %s %.3f ms (%.2f)", variants[v], median, first / median));
            }
            System.out.println(line);
            for (ConvPlan p : plans) {
                p.close();
            }
        }
    }

    /** {@code variant}, or {@code variant@T} on {@code T} threads instead of the default {@code threads}. */
    private static ConvPlan plan(String spec, ConvGeometry g, int defaultThreads) {
        int at = spec.indexOf('@');
        String variant = at < 0 ? spec : spec.substring(0, at);
        int threads = at < 0 ? defaultThreads : Integer.parseInt(spec.substring(at + 1));
        WorkerPool pool = WorkerPool.of(threads);
        return switch (variant) {
            case "auto" -> new CpuBackend(threads).plan(g);
            case "igemm" -> new ImplicitGemmPlan(g, pool, ImplicitGemmPlan.PACK_MIN_COLUMNS, PostOp.NONE);
            case "wino" -> new WinogradPlan(g, pool);
            case "wino2" -> new Winograd2x2Plan(g, pool);
            case "chan" -> new ChannelGemmPlan(g, pool, PostOp.NONE);
            case "channarrow" -> new ChannelGemmPlan(g, pool, PostOp.NONE, ChannelGemmKernel.NARROW);
            case "stem" -> new StemPlan(g, pool, PostOp.NONE);
            case "stemplanar" -> new StemPlan(g, pool, PostOp.NONE, ChannelGemmKernel.forMachine(), false);
            case "steminter" -> new StemPlan(g, pool, PostOp.NONE, ChannelGemmKernel.forMachine(), true);
            case "dwrows" -> new DepthwiseRowsPlan(g, pool);
            case "dwcopy" -> new DepthwiseRowsPlan(g, pool, false);
            case "dwblock" -> new DepthwiseChannelBlockPlan(g, pool);
            default -> throw new IllegalArgumentException("unknown variant " + variant
                    + " (auto, igemm, wino, wino2, chan, channarrow, stem, stemplanar, steminter, dwrows, dwcopy,"
                    + " dwblock)");
        };
    }
}
