import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import dev.jconv.cpu.CpuBackend;
import java.util.Arrays;
import java.util.Locale;

/**
 * Times one build's cpu plans with the weight compared on every call (ConvPlan.forward without a version) against
 * the weight passed with a version (prepared weights reused without a compare, as for a Conv2d's own weight), in
 * one JVM, alternating rounds, so that the host's load hits both alike.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -Djconv.cpu.prime=false -cp target/jconv.jar
 * benchmarks/ab/VersionedWeightsAB.java THREADS ROUNDS LAYER...}, a layer as {@code N,C,H,W,K,R,S,P,D,G}. Per
 * layer: 3 s of warm-up alternating, then ROUNDS rounds of 10 timed calls each way; prints both medians (ms) and
 * versioned / compared.
 */
public class VersionedWeightsAB {
    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: VersionedWeightsAB THREADS ROUNDS N,C,H,W,K,R,S,P,D,G...");
            System.exit(2);
        }
        CpuBackend cpu = new CpuBackend(Integer.parseInt(args[0]));
        int rounds = Integer.parseInt(args[1]);
        for (int li = 2; li < args.length; li++) {
            int[] l = Arrays.stream(args[li].split(",")).mapToInt(Integer::parseInt).toArray();
            ConvParams params = new ConvParams(l[6], l[6], Padding.of(l[7]), l[8], l[8], l[9], PaddingMode.ZEROS);
            ConvGeometry g = ConvValidator.checkForward(new int[] {l[0], l[1], l[2], l[3]},
                    new int[] {l[4], l[1] / l[9], l[5], l[5]}, null, params);
            float[] input = Tensor.uniform(1, -1f, 1f, g.inputShape()).data();
            float[] weight = Tensor.uniform(2, -1f, 1f, g.weightShape()).data();
            float[] output = new float[Math.toIntExact(g.outputElements())];
            ConvPlan plan = cpu.plan(g);
            for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; ) {
                plan.forward(input, weight, null, output);
                plan.forward(input, weight, 0, null, output);
            }
            double[][] ms = new double[2][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int way = 0; way < 2; way++) {
                    long start = System.nanoTime();
                    for (int k = 0; k < 10; k++) {
                        if (way == 0) {
                            plan.forward(input, weight, null, output);
                        } else {
                            plan.forward(input, weight, 0, null, output);
                        }
                    }
                    ms[way][r] = (System.nanoTime() - start) / 1e6 / 10;
                }
            }
            double compared = median(ms[0]);
            double versioned = median(ms[1]);
            System.out.printf(Locale.ROOT, "%-28s compared %8.3f ms   versioned %8.3f ms   versioned/compared %.3f%n",
                    args[li], compared, versioned, versioned / compared);
        }
        System.exit(0); // the worker pool's threads
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
