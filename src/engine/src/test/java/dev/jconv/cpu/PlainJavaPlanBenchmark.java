package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvPlan;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * What a missing {@code --add-modules jdk.incubator.vector} costs, for {@link VectorModule#WARNING}: median times of
 * 1x64x56x56 * 64x64x3x3 (padding 1) on what {@code auto} picks, on the plain loops and on {@code cpu-reference}.
 * Not a test (speed is measured, never asserted). Run it with and without the flag:
 * <pre>
 *   mvn -q -pl src/engine test-compile
 *   java [--add-modules jdk.incubator.vector] -cp src/engine/target/classes:src/engine/target/test-classes \
 *       dev.jconv.cpu.PlainJavaPlanBenchmark [threads] [seconds per backend]
 * </pre>
 */
public final class PlainJavaPlanBenchmark {
    private PlainJavaPlanBenchmark() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : CpuBackend.defaultThreads();
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        ConvGeometry g = ConvValidator.checkForward(new int[] {1, 64, 56, 56}, new int[] {64, 64, 3, 3}, new int[] {64},
                ConvParams.defaults().withPadding(1));
        float[] in = Tensor.uniform(1, -1f, 1f, g.inputShape()).data();
        float[] w = Tensor.uniform(2, -1f, 1f, g.weightShape()).data();
        float[] b = Tensor.uniform(3, -1f, 1f, g.outChannels()).data();
        System.out.println("Vector API module: " + (VectorModule.present() ? "present" : "absent") + ", " + threads
                + " threads");
        Backends.Selection auto = Backends.select(Backends.AUTO, g);
        time("auto -> " + auto.backend().name(), new CpuBackend(threads).plan(g), in, w, b, seconds);
        time("plain Java loops", new PlainJavaPlan(g, WorkerPool.of(threads)), in, w, b, seconds);
        time("cpu-reference", new ReferenceBackend().plan(g), in, w, b, seconds);
    }

    /**
     * Warms up for half the time (JIT compilation), then times the rest: median and best wall time per run, and the
     * process's CPU time per run (all threads), which other jobs on a shared machine disturb less than wall time.
     */
    private static void time(String label, ConvPlan plan, float[] in, float[] w, float[] b, double seconds) {
        float[] out = new float[in.length];
        long halfNanos = (long) (seconds * 5e8);
        long warmEnd = System.nanoTime() + halfNanos;
        int warmRuns = 0;
        while (System.nanoTime() < warmEnd || warmRuns < 2) {
            plan.forward(in, w, b, out);
            warmRuns++;
        }
        double[] ms = new double[10_000];
        int runs = 0;
        long cpu0 = processCpuNanos();
        long end = System.nanoTime() + halfNanos;
        while ((System.nanoTime() < end || runs < 2) && runs < ms.length) {
            long t0 = System.nanoTime();
            plan.forward(in, w, b, out);
            ms[runs++] = (System.nanoTime() - t0) / 1e6;
        }
        double cpuMs = (processCpuNanos() - cpu0) / 1e6 / runs;
        double[] timed = Arrays.copyOf(ms, runs);
        Arrays.sort(timed);
        System.out.println(String.format(Locale.ROOT,
                "%-22s median %8.2f ms  best %8.2f ms  CPU %8.2f ms/run  (%d timed runs; %s)", label,
                timed[runs / 2], timed[0], cpuMs, runs, plan.describe()));
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
