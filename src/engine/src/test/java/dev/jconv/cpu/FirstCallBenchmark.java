package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import java.util.Arrays;
import java.util.Locale;

/**
 * A new layer's first call in a warm process, against its steady state: the warm-up layers (system property
 * {@code warm}, {@code ;}-separated, default below) run for 3 s each on one {@code cpu} backend, so C2 has compiled
 * the kernels their plans use; then each layer of the arguments is planned and called 5 times with fresh random
 * input and weights, then for 1 s more, then 100 timed calls give its median. Prints plan time, first call, calls
 * 2-5, the median and first / median. The backend's first plan starts {@link JitPrimer} in the background, as in
 * any library process ({@code -Djconv.cpu.prime=false} measures without it). How
 * {@code benchmarks/results/*_first-call*.md} were made; not a test:
 * <pre>
 *   mvn -q -pl src/engine test-compile
 *   java --add-modules jdk.incubator.vector -cp src/engine/target/classes:src/engine/target/test-classes \
 *       [-Dwarm='N,C,H,W,K,R,S,P,D,G;...'] dev.jconv.cpu.FirstCallBenchmark THREADS N,C,H,W,K,R,S,P,D,G ...
 * </pre>
 */
public final class FirstCallBenchmark {
    private static final String WARM = "1,64,56,56,64,3,1,1,1,1;1,256,56,56,64,1,1,0,1,1;1,1024,14,14,256,1,1,0,1,1;"
            + "1,96,56,56,96,3,1,1,1,96;1,128,28,28,128,3,2,1,1,1";

    private FirstCallBenchmark() {}

    public static void main(String[] args) {
        CpuBackend backend = new CpuBackend(Integer.parseInt(args[0]));
        for (String layer : System.getProperty("warm", WARM).split(";")) {
            run(backend, layer, 3000, false);
        }
        for (int i = 1; i < args.length; i++) {
            run(backend, args[i], 1000, true);
        }
    }

    private static void run(CpuBackend backend, String layer, long warmMillis, boolean print) {
        int[] l = Arrays.stream(layer.split(",")).mapToInt(Integer::parseInt).toArray();
        ConvGeometry g = ConvValidator.checkForward(new int[] {l[0], l[1], l[2], l[3]},
                new int[] {l[4], l[1] / l[9], l[5], l[5]}, null,
                new ConvParams(l[6], l[6], Padding.of(l[7]), l[8], l[8], l[9], PaddingMode.ZEROS));
        long seed = System.nanoTime();
        float[] in = Tensor.uniform(seed, -1f, 1f, g.inputShape()).data();
        float[] w = Tensor.uniform(seed + 1, -1f, 1f, g.weightShape()).data();
        float[] out = new float[Math.toIntExact(g.outputElements())];
        long t0 = System.nanoTime();
        ConvPlan plan = backend.plan(g);
        long t1 = System.nanoTime();
        plan.forward(in, w, null, out);
        long t2 = System.nanoTime();
        double[] next = new double[4];
        for (int i = 0; i < next.length; i++) {
            long a = System.nanoTime();
            plan.forward(in, w, null, out);
            next[i] = (System.nanoTime() - a) / 1e6;
        }
        long end = System.nanoTime() + warmMillis * 1_000_000L;
        while (System.nanoTime() < end) {
            plan.forward(in, w, null, out);
        }
        double[] times = new double[100];
        for (int i = 0; i < times.length; i++) {
            long a = System.nanoTime();
            plan.forward(in, w, null, out);
            times[i] = (System.nanoTime() - a) / 1e6;
        }
        Arrays.sort(times);
        double first = (t2 - t1) / 1e6;
        if (print) {
            System.out.printf(Locale.ROOT,
                    "%-30s plan %.2f first %.2f next %.2f %.2f %.2f %.2f steady %.3f ratio %.1f  %s%n", layer,
                    (t1 - t0) / 1e6, first, next[0], next[1], next[2], next[3], times[50], first / times[50],
                    plan.describe());
        }
    }
}
