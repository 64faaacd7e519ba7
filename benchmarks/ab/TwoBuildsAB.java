import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Times the cpu backend of two builds of jconv in one JVM, alternating rounds of calls between them, so that the
 * host's load episodes (on the shared 2-core VMs a layer's time moved 1.8x between runs seconds apart) hit both
 * builds alike. Each build's engine classes load in a class loader of their own; the calls go through the public
 * API (ConvValidator.checkForward, CpuBackend.plan, ConvPlan.forward) by reflection; the weight goes with a fixed
 * version where the build takes one, as {@code jconv bench} passes it (VersionedWeightsAB.java times the
 * difference).
 *
 * <p>Usage (see two_builds_ab.sh, which builds the two commits):
 * {@code java --add-modules jdk.incubator.vector TwoBuildsAB.java THREADS ROUNDS CLASSES_A CLASSES_B LAYER...},
 * a layer as {@code N,C,H,W,K,R,S,P,D,G} (batch, in channels, height, width, out channels, square kernel, stride,
 * padding, dilation, groups). Per layer: 2 s of warm-up alternating, then ROUNDS rounds of 2 untimed and 10 timed
 * calls per build; prints both medians (ms) and B/A.
 */
public class TwoBuildsAB {
    /** One build's plan for one layer, with its random input and weights (the same seed for both builds). */
    static final class Build {
        private final Object plan;
        private final Method forward;
        /** The build's ConvPlan has the forward with a weight version. */
        private final boolean versioned;
        private final float[] input;
        private final float[] weight;
        private final float[] output;

        Build(Path classes, int threads, int[] l, long seed) throws Exception {
            ClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                    ClassLoader.getPlatformClassLoader());
            Class<?> padding = loader.loadClass("dev.jconv.Padding");
            Class<?> mode = loader.loadClass("dev.jconv.PaddingMode");
            Object params = loader.loadClass("dev.jconv.ConvParams")
                    .getConstructor(int.class, int.class, padding, int.class, int.class, int.class, mode)
                    .newInstance(l[6], l[6], padding.getMethod("of", int.class).invoke(null, l[7]), l[8], l[8], l[9],
                            mode.getField("ZEROS").get(null));
            Method check = Arrays.stream(loader.loadClass("dev.jconv.ConvValidator").getMethods())
                    .filter(m -> m.getName().equals("checkForward") && m.getParameterCount() == 4).findFirst()
                    .orElseThrow();
            int[] inputShape = {l[0], l[1], l[2], l[3]};
            int[] weightShape = {l[4], l[1] / l[9], l[5], l[5]};
            Object geometry = check.invoke(null, inputShape, weightShape, null, params);
            Random random = new Random(seed);
            input = uniform(random, Arrays.stream(inputShape).reduce(1, (a, b) -> a * b));
            weight = uniform(random, Arrays.stream(weightShape).reduce(1, (a, b) -> a * b));
            output = new float[Math.toIntExact((long) geometry.getClass().getMethod("outputElements").invoke(geometry))];
            Class<?> backendClass = loader.loadClass("dev.jconv.cpu.CpuBackend");
            Object backend = backendClass.getConstructor(int.class).newInstance(threads);
            plan = Arrays.stream(backendClass.getMethods())
                    .filter(m -> m.getName().equals("plan") && m.getParameterCount() == 1).findFirst().orElseThrow()
                    .invoke(backend, geometry);
            Class<?> convPlan = loader.loadClass("dev.jconv.backend.ConvPlan");
            Method withVersion;
            try {
                withVersion = convPlan.getMethod("forward", float[].class, float[].class, long.class, float[].class,
                        float[].class);
            } catch (NoSuchMethodException older) {
                withVersion = null;
            }
            versioned = withVersion != null;
            forward = versioned ? withVersion
                    : convPlan.getMethod("forward", float[].class, float[].class, float[].class, float[].class);
        }

        private static float[] uniform(Random random, int n) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = random.nextFloat() * 2 - 1;
            }
            return a;
        }

        /** Milliseconds per call over {@code calls} calls. */
        double time(int calls) throws Exception {
            long start = System.nanoTime();
            for (int k = 0; k < calls; k++) {
                if (versioned) {
                    forward.invoke(plan, input, weight, 0L, null, output);
                } else {
                    forward.invoke(plan, input, weight, null, output);
                }
            }
            return (System.nanoTime() - start) / 1e6 / calls;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: TwoBuildsAB THREADS ROUNDS CLASSES_A CLASSES_B N,C,H,W,K,R,S,P,D,G...");
            System.exit(2);
        }
        int threads = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        for (int i = 4; i < args.length; i++) {
            int[] l = Arrays.stream(args[i].split(",")).mapToInt(Integer::parseInt).toArray();
            Build a = new Build(Path.of(args[2]), threads, l, i);
            Build b = new Build(Path.of(args[3]), threads, l, i);
            for (long end = System.nanoTime() + 2_000_000_000L; System.nanoTime() < end; ) {
                a.time(5);
                b.time(5);
            }
            double[] ta = new double[rounds];
            double[] tb = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                a.time(2);
                ta[r] = a.time(10);
                b.time(2);
                tb[r] = b.time(10);
            }
            Arrays.sort(ta);
            Arrays.sort(tb);
            double ma = ta[rounds / 2];
            double mb = tb[rounds / 2];
            System.out.printf(Locale.ROOT, "%-28s A %.4f  B %.4f  B/A %.3f%n", args[i], ma, mb, mb / ma);
        }
        System.exit(0); // the builds' worker pools are daemon threads, but do not wait for them
    }
}
