package dev.jconv.bench;

import dev.jconv.Tensor;
import dev.jconv.backend.PlanCache;
import dev.jconv.nn.Module;
import dev.jconv.nn.Sequential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Times a network's forward pass against its layers run alone: the fused network, the same network unfused
 * (every module on its own), and each module by itself on the input it sees inside the network, whose medians
 * are summed. Fusion should make the fused network cost less than that sum; the unfused network should cost
 * about the sum (anything more is overhead of running them as a network).
 *
 * <p>The machines this runs on are shared and noisy, so the candidates are interleaved: after a common warm-up of
 * {@code warmupSeconds} (the JIT compiles every kernel path in that time), each round times the fused network,
 * the unfused one and every layer once, rounds repeat for {@code seconds} (at least {@value #MIN_ROUNDS}), and
 * each candidate's median over the rounds is reported; a burst of load tends to hit all of them alike. Inputs
 * are uniform random in [-1, 1), never zeros.
 */
public final class NetworkBench {
    static final int MIN_ROUNDS = 5;

    private NetworkBench() {}

    /**
     * The medians, in milliseconds, how many rounds they are medians of, and how many plans the plan cache dropped
     * to stay in its budget during the timed rounds (then the times include planning again).
     */
    public record Result(double fusedMs, double unfusedMs, List<String> layers, double[] layerMs, int rounds,
                         long planDrops) {
        public double layerSumMs() {
            return Arrays.stream(layerMs).sum();
        }
    }

    public static Result measure(Sequential model, int[] inputShape, double warmupSeconds, double seconds) {
        Tensor x = Tensor.uniform(42, -1f, 1f, inputShape);
        List<String> names = new ArrayList<>();
        List<Runnable> candidates = new ArrayList<>();
        candidates.add(() -> model.fusion(true).forward(x));
        candidates.add(() -> model.fusion(false).forward(x));
        Tensor h = x;
        for (Map.Entry<String, Module> child : model.children()) {
            Tensor in = h;
            Module m = child.getValue();
            names.add(child.getKey());
            candidates.add(() -> m.forward(in));
            h = m.forward(in);
        }
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do {
            candidates.forEach(Runnable::run);
        } while (System.nanoTime() < warmupEnd);
        List<double[]> rounds = new ArrayList<>();
        long drops = PlanCache.dropsOverBudget();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (rounds.size() < MIN_ROUNDS || System.nanoTime() < end) {
            double[] ms = new double[candidates.size()];
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                candidates.get(i).run();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            rounds.add(ms);
        }
        model.fusion(true);
        double[] medians = new double[candidates.size()];
        for (int i = 0; i < medians.length; i++) {
            int c = i;
            medians[i] = median(rounds.stream().mapToDouble(r -> r[c]).toArray());
        }
        return new Result(medians[0], medians[1], names, Arrays.copyOfRange(medians, 2, medians.length), rounds.size(),
                PlanCache.dropsOverBudget() - drops);
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
