package dev.jconv;

import dev.jconv.backend.PlanCache;

/**
 * A service fed images of many sizes: {@code count} distinct input shapes (1 x 8 x H x W, H and W from 16 up)
 * through {@link Functional#conv2d} on cpu, each a new plan with its own layout copy (about 150 KB on average,
 * 1.5 GB for 10,000 if every plan stayed). Prints the plan cache's state at the end.
 */
public final class ManyShapesMain {
    private ManyShapesMain() {}

    public static void main(String[] args) {
        int count = Integer.parseInt(args[0]);
        Tensor w = Tensor.randn(1, 8, 8, 3, 3);
        Options options = Options.defaults().withBackend("cpu");
        ConvParams same = ConvParams.defaults().withPadding(1);
        long maxRetained = 0;
        for (int i = 0; i < count; i++) {
            int h = 16 + i / 100;
            int wid = 16 + i % 100;
            Tensor x = Tensor.uniform(i, -1, 1, 1, 8, h, wid);
            Tensor y = Functional.conv2d(x, w, null, same, options);
            if (y.size(2) != h || y.size(3) != wid) {
                throw new AssertionError("wrong output " + y);
            }
            maxRetained = Math.max(maxRetained, PlanCache.retainedBytes());
        }
        Runtime rt = Runtime.getRuntime();
        System.out.println("shapes " + count);
        System.out.println("budget " + PlanCache.budgetBytes());
        System.out.println("max retained " + maxRetained);
        System.out.println("plans " + PlanCache.planCount());
        System.out.println("heap used " + (rt.totalMemory() - rt.freeMemory()) + " of max " + rt.maxMemory());
    }
}
