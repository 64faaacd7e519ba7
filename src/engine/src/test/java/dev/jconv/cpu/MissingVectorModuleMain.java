package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvPlan;

/**
 * Run by {@link MissingVectorModuleTest} in a JVM started without {@code --add-modules jdk.incubator.vector}: plans
 * three shapes through {@code auto} and one more on a second {@code cpu} backend, checks each against
 * {@code cpu-reference}, and prints which backend ran. The JVM's default logging writes the warning to stderr.
 */
public final class MissingVectorModuleMain {
    private MissingVectorModuleMain() {}

    public static void main(String[] args) {
        System.out.println("vector module: " + (VectorModule.present() ? "present" : "absent"));
        int[][][] shapes = {
                {{2, 6, 13, 11}, {8, 3, 3, 3}},      // groups 2, padded, stride 1
                {{1, 4, 17, 17}, {5, 4, 5, 3}},      // stride 2
                {{1, 8, 9, 9}, {8, 1, 3, 3}},        // depthwise
        };
        ConvParams[] params = {
                ConvParams.defaults().withPadding(1).withGroups(2),
                ConvParams.defaults().withPadding(2).withStride(2),
                ConvParams.defaults().withPadding(1).withGroups(8),
        };
        long seed = 5;
        for (int i = 0; i < shapes.length; i++) {
            ConvGeometry g = ConvValidator.checkForward(shapes[i][0], shapes[i][1], new int[] {shapes[i][1][0]}, params[i]);
            Backends.Selection s = Backends.select(Backends.AUTO, g);
            System.out.println("auto: " + s.backend().name());
            check(s.backend().plan(g), seed);
            seed += 3;
        }
        ConvGeometry g = ConvValidator.checkForward(new int[] {1, 3, 8, 8}, new int[] {4, 3, 3, 3}, null,
                ConvParams.defaults());
        ConvPlan plan = new CpuBackend(1).plan(g);
        System.out.println("plan: " + plan.describe());
        check(plan, seed);
        System.out.println("all agree with cpu-reference");
    }

    private static void check(ConvPlan plan, long seed) {
        ConvGeometry g = plan.geometry();
        float[] in = Tensor.uniform(seed, -1f, 1f, g.inputShape()).data();
        float[] w = Tensor.uniform(seed + 1, -1f, 1f, g.weightShape()).data();
        float[] b = Tensor.uniform(seed + 2, -1f, 1f, g.outChannels()).data();
        AgainstReference.check(plan, in, w, b, "without the Vector API");
    }
}
