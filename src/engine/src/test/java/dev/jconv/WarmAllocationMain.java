package dev.jconv;

import java.lang.management.ManagementFactory;

/**
 * Prints the fewest bytes one warm {@link ConvolutionPlan#forward} allocated on the calling thread, over rounds
 * of calls ({@code args[1]} rounds of 10), for backend {@code args[0]} on one thread (so all work runs on this thread, where the counter looks).
 * Run in a fresh JVM: how far the JIT removes the Vector API's boxes depends on what else the JVM ran.
 */
public final class WarmAllocationMain {
    private WarmAllocationMain() {}

    public static void main(String[] args) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[] in = {1, 32, 40, 40};
        int[] wt = {32, 32, 3, 3};
        Tensor x = Tensor.randn(9, in);
        Tensor w = Tensor.randn(10, wt);
        try (ConvolutionPlan plan = ConvolutionPlan.create(in, wt, false, ConvParams.defaults().withPadding(1),
                Options.defaults().withBackend(args[0]).withThreads(1))) {
            Tensor y = Tensor.zeros(plan.outputShape());
            long perCall = Long.MAX_VALUE;
            int rounds = Integer.parseInt(args[1]);
            for (int round = 0; round < rounds; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 10; i++) {
                    plan.forward(x, w, null, y);
                }
                perCall = Math.min(perCall, (threads.getCurrentThreadAllocatedBytes() - before) / 10);
            }
            System.out.println(perCall + " " + 4 * y.numel());
        }
    }
}
